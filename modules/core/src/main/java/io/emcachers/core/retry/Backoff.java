package io.emcachers.core.retry;

/**
 * The one capped exponential backoff of every retry loop: the delay before retry {@code n}
 * (1-based) is {@code initial * 2^(n-1)}, at most {@code max}. An instance also keeps the
 * consecutive-error count; {@link #succeeded()} resets it and says whether this was a recovery, so
 * the caller logs one "recovered" line.
 */
public final class Backoff {

  private final long initialMs;
  private final long maxMs;
  private int consecutiveErrors;

  public Backoff(long initialMs, long maxMs) {
    if (initialMs < 1 || maxMs < initialMs) {
      throw new IllegalArgumentException(
          "backoff needs 1 <= initial <= max, got " + initialMs + ".." + maxMs);
    }
    this.initialMs = initialMs;
    this.maxMs = maxMs;
  }

  /** The delay before retry number {@code consecutiveErrors} (1-based; 0 or less counts as 1). */
  public static long delayMs(long initialMs, long maxMs, int consecutiveErrors) {
    int shift = Math.min(Math.max(consecutiveErrors - 1, 0), 30);
    long delay = initialMs << shift;
    return delay <= 0 || delay > maxMs ? maxMs : delay;
  }

  /** Counts one more consecutive error and returns the delay before the next attempt. */
  public synchronized long failed() {
    consecutiveErrors++;
    return delayMs(initialMs, maxMs, consecutiveErrors);
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
