package io.emcachers.core.retry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class RetrierTest {

  /** Timers that fire only when the test says so. */
  static final class ManualTimers implements Retrier.Timers {
    final List<Long> delays = new ArrayList<>();
    final List<Runnable> tasks = new ArrayList<>();
    final List<Long> cancelled = new ArrayList<>();

    @Override
    public long setTimer(long delayMs, Runnable task) {
      delays.add(delayMs);
      tasks.add(task);
      return tasks.size() - 1;
    }

    @Override
    public void cancelTimer(long id) {
      cancelled.add(id);
    }

    void fire(int i) {
      tasks.get(i).run();
    }
  }

  @Test
  void schedulesEachRetryWithTheBackoffDelayAndResetsOnSuccess() {
    ManualTimers timers = new ManualTimers();
    Retrier r =
        new Retrier(
            timers,
            new Backoff(100, 300),
            LoggerFactory.getLogger(RetrierTest.class),
            "test thing");
    AtomicInteger runs = new AtomicInteger();
    assertEquals(100, r.retry(new RuntimeException("a"), "retrying", runs::incrementAndGet));
    assertTrue(r.pending());
    timers.fire(0);
    assertEquals(1, runs.get());
    assertFalse(r.pending());
    assertEquals(200, r.retry(new RuntimeException("b"), "retrying", runs::incrementAndGet));
    assertEquals(
        300,
        r.retry(new RuntimeException("c"), "retrying", runs::incrementAndGet),
        "capped; replaces the pending retry");
    assertEquals(List.of(1L), timers.cancelled);
    timers.fire(1);
    assertEquals(1, runs.get(), "a replaced retry does not run");
    timers.fire(2);
    assertEquals(2, runs.get());
    assertEquals(3, r.consecutiveErrors());
    assertEquals("java.lang.RuntimeException: c", r.lastError());
    assertEquals(3, r.succeeded(), "a success reports the errors it ended");
    assertEquals(0, r.succeeded());
    assertEquals(100, r.retry(new RuntimeException("d"), "retrying", runs::incrementAndGet));
  }

  @Test
  void cancelDropsThePendingRetryAndAZeroDelayRunsAtOnce() {
    ManualTimers timers = new ManualTimers();
    Retrier r =
        new Retrier(
            timers,
            new Backoff(100, 300),
            LoggerFactory.getLogger(RetrierTest.class),
            "test thing");
    AtomicInteger runs = new AtomicInteger();
    r.retry(new RuntimeException("a"), "retrying", runs::incrementAndGet);
    r.cancel();
    timers.fire(0);
    assertEquals(0, runs.get());
    r.schedule(0, runs::incrementAndGet);
    assertEquals(1, runs.get());
    assertEquals(1, r.consecutiveErrors(), "schedule counts no failure");
  }
}
