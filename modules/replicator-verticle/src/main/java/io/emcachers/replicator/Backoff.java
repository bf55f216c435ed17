package io.emcachers.replicator;

/** Capped exponential backoff with a consecutive-error count. Not thread-safe (one event loop). */
public final class Backoff {

  private final long initialMs;
  private final long maxMs;
  private int consecutiveErrors;

  public Backoff(long initialMs, long maxMs) {
    this.initialMs = initialMs;
    this.maxMs = maxMs;
  }

  /** Records an error; returns the delay before the next attempt: initial × 2^(errors−1), capped. */
  public long onError() {
    consecutiveErrors++;
    int shift = Math.min(consecutiveErrors - 1, 30);
    long delay = initialMs << shift;
    return delay <= 0 || delay > maxMs ? maxMs : delay;
  }

  /** Records a success; returns how many consecutive errors it ended (0 when there were none). */
  public int onSuccess() {
    int n = consecutiveErrors;
    consecutiveErrors = 0;
    return n;
  }

  public int consecutiveErrors() {
    return consecutiveErrors;
  }
}
