package io.emcachers.oplog.writer;

/**
 * One term of leadership: the lease epoch this node claimed (its fencing token) and when the claim
 * was sent ({@link System#nanoTime()}), from which the lease's validity is counted.
 */
public record LeaderTerm(long epoch, long claimSentNanos) {}
