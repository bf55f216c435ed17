package io.emcachers.core.retry;

import io.vertx.core.Vertx;
import org.slf4j.Logger;

/**
 * One retry loop: counts consecutive failures in a {@link Backoff}, schedules the next attempt
 * after the backoff delay, and logs one "recovered" line when an attempt succeeds after failures.
 * At most one retry is pending at a time; {@link #cancel()} drops it. Not thread-safe: use it on
 * one context (or event loop), as every Vert.x timer user does.
 */
public final class Retrier {

  /** Where retries are scheduled: a Vert.x timer in production, a manual clock in unit tests. */
  public interface Timers {
    long setTimer(long delayMs, Runnable task);

    void cancelTimer(long id);

    static Timers of(Vertx vertx) {
      return new Timers() {
        @Override
        public long setTimer(long delayMs, Runnable task) {
          return vertx.setTimer(delayMs, id -> task.run());
        }

        @Override
        public void cancelTimer(long id) {
          vertx.cancelTimer(id);
        }
      };
    }
  }

  private final Backoff backoff;
  private final Timers timers;
  private final Logger log;
  private final String what;
  private long timer = -1;
  private String lastError;

  /**
   * @param what how log lines name the retried thing ("listener: stream users"), before "failed" or
   *     "recovered"
   */
  public Retrier(Timers timers, Backoff backoff, Logger log, String what) {
    this.timers = timers;
    this.backoff = backoff;
    this.log = log;
    this.what = what;
  }

  public Retrier(Vertx vertx, long initialMs, long maxMs, Logger log, String what) {
    this(Timers.of(vertx), new Backoff(initialMs, maxMs), log, what);
  }

  /**
   * Counts a failure, logs it at WARN ({@code what failed (n consecutive): cause; next in d ms})
   * and runs {@code next} after the backoff delay; returns that delay. A retry already pending is
   * replaced.
   */
  public long retry(Throwable cause, String next, Runnable task) {
    long delay = backoff.failed();
    lastError = String.valueOf(cause);
    log.warn(
        "{} failed ({} consecutive): {}; {} in {} ms",
        what,
        backoff.consecutiveErrors(),
        lastError,
        next,
        delay);
    schedule(delay, task);
    return delay;
  }

  /** Runs {@code task} after {@code delayMs} without counting a failure (0 or less: at once). */
  public void schedule(long delayMs, Runnable task) {
    cancel();
    if (delayMs <= 0) {
      task.run();
      return;
    }
    long[] id = new long[1];
    id[0] =
        timers.setTimer(
            delayMs,
            () -> {
              if (timer == id[0]) {
                timer = -1;
                task.run();
              }
            });
    timer = id[0];
  }

  /**
   * An attempt succeeded: resets the count and logs "recovered" if failures preceded it; returns
   * their number.
   */
  public int succeeded() {
    int before = backoff.succeeded();
    if (before > 0) {
      log.info("{} recovered after {} consecutive error(s)", what, before);
    }
    return before;
  }

  /** Drops the pending retry, if any. */
  public void cancel() {
    if (timer >= 0) {
      timers.cancelTimer(timer);
      timer = -1;
    }
  }

  public boolean pending() {
    return timer >= 0;
  }

  public int consecutiveErrors() {
    return backoff.consecutiveErrors();
  }

  /** The last failure counted (null: none yet). */
  public String lastError() {
    return lastError;
  }
}
