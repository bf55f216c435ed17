package io.emcachers.oplog.support;

/**
 * Capped exponential backoff with a consecutive-error count: {@code initial * 2^(errors-1)}, at
 * most {@code max}. {@link #succeeded()} resets the count and says whether this was a recovery,
 * so the caller logs one "recovered" line.
 */
public final class Backoff {

  private final long initialMs;
  private final long maxMs;
  private int consecutiveErrors;

  public Backoff(long initialMs, long maxMs) {
    if (initialMs < 1 || maxMs < initialMs) {
      throw new IllegalArgumentException("backoff needs 1 <= initial <= max, got " + initialMs + ".." + maxMs);
    }
    this.initialMs = initialMs;
    this.maxMs = maxMs;
  }

  /** Counts one more consecutive error and returns the delay before the next attempt. */
  public synchronized long failed() {
    consecutiveErrors++;
    int shift = Math.min(consecutiveErrors - 1, 30);
    long delay = initialMs << shift;
    return delay <= 0 || delay > maxMs ? maxMs : delay;
  }

  /** Resets the count; returns how many consecutive errors preceded this success (0: none). */
  public synchronized int succeeded() {
    int before = consecutiveErrors;
    consecutiveErrors = 0;
    return before;
  }

  public synchronized int consecutiveErrors() {
    return consecutiveErrors;
  }
}
