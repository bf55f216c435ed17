package io.emcachers.core.jobs;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class JobSchedulerTest {

  Vertx vertx;
  JobScheduler scheduler;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    scheduler = new JobScheduler(vertx);
  }

  @AfterEach
  void tearDown() throws Exception {
    scheduler
        .shutdown(Duration.ofSeconds(1))
        .toCompletionStage()
        .toCompletableFuture()
        .get(5, TimeUnit.SECONDS);
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void runsRepeatedlyAndRecordsStats() {
    AtomicInteger runs = new AtomicInteger();
    scheduler.schedule(
        "tick",
        Duration.ofMillis(10),
        Duration.ZERO,
        ctx -> {
          runs.incrementAndGet();
          return Future.succeededFuture();
        });
    await().atMost(Duration.ofSeconds(5)).until(() -> runs.get() >= 3);
    JobStats stats = scheduler.stats("tick");
    assertTrue(stats.runCount() >= 3);
    assertEquals(JobStats.OUTCOME_OK, stats.lastOutcome());
    assertTrue(stats.lastStart() != null);
    assertEquals(10, stats.intervalMs());
  }

  @Test
  void runsOfOneJobNeverOverlap() {
    AtomicInteger concurrent = new AtomicInteger();
    AtomicInteger maxConcurrent = new AtomicInteger();
    AtomicInteger runs = new AtomicInteger();
    // Each run takes 30 ms, far longer than the 1 ms interval, and a trigger() races the timer.
    scheduler.schedule(
        "slow",
        Duration.ofMillis(1),
        Duration.ZERO,
        ctx -> {
          maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
          Promise<Void> p = Promise.promise();
          vertx.setTimer(
              30,
              t -> {
                concurrent.decrementAndGet();
                runs.incrementAndGet();
                p.complete();
              });
          scheduler.trigger("slow");
          return p.future();
        });
    await().atMost(Duration.ofSeconds(10)).until(() -> runs.get() >= 5);
    assertEquals(1, maxConcurrent.get());
  }

  @Test
  void failuresAreRecordedAndTheJobKeepsRunning() {
    AtomicInteger runs = new AtomicInteger();
    scheduler.schedule(
        "flaky",
        Duration.ofMillis(5),
        Duration.ZERO,
        ctx -> {
          if (runs.incrementAndGet() == 1) {
            throw new IllegalStateException("boom");
          }
          return Future.failedFuture("still failing");
        });
    await().atMost(Duration.ofSeconds(5)).until(() -> runs.get() >= 3);
    JobStats stats = scheduler.stats("flaky");
    assertEquals(JobStats.OUTCOME_FAILED, stats.lastOutcome());
    assertTrue(stats.failureCount() >= 2);
    assertTrue(stats.lastError().contains("still failing"), stats.lastError());
  }

  @Test
  void shutdownSignalsCancellationAndWaitsForRunningJobs() throws Exception {
    AtomicBoolean started = new AtomicBoolean();
    AtomicBoolean sawCancel = new AtomicBoolean();
    scheduler.schedule(
        "long",
        Duration.ofHours(1),
        Duration.ZERO,
        ctx -> {
          started.set(true);
          // Finishes only when cancelled, a little after the signal, like a job flushing its state.
          return ctx.onCancel()
              .compose(
                  v -> {
                    sawCancel.set(ctx.cancelled());
                    return vertx.timer(50);
                  });
        });
    await().atMost(Duration.ofSeconds(5)).untilTrue(started);
    assertTrue(scheduler.stats("long").running());
    scheduler
        .shutdown(Duration.ofSeconds(5))
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    assertTrue(sawCancel.get());
    JobStats stats = scheduler.stats("long");
    assertEquals(JobStats.OUTCOME_CANCELLED, stats.lastOutcome());
    assertEquals(1, stats.runCount());
    assertThrows(
        IllegalStateException.class,
        () ->
            scheduler.schedule(
                "late", Duration.ofSeconds(1), Duration.ZERO, c -> Future.succeededFuture()));
  }

  @Test
  void shutdownWaitIsBounded() throws Exception {
    AtomicBoolean started = new AtomicBoolean();
    scheduler.schedule(
        "stuck",
        Duration.ofHours(1),
        Duration.ZERO,
        ctx -> {
          started.set(true);
          return Promise.promise().future(); // ignores cancellation, never completes
        });
    await().atMost(Duration.ofSeconds(5)).untilTrue(started);
    long t0 = System.nanoTime();
    scheduler
        .shutdown(Duration.ofMillis(200))
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertTrue(elapsedMs >= 150, "shutdown returned before its bound: " + elapsedMs + " ms");
    assertTrue(scheduler.stats("stuck").running());
  }

  @Test
  void duplicateNamesAndUnknownTriggersAreRejected() {
    scheduler.schedule(
        "a", Duration.ofSeconds(1), Duration.ofSeconds(1), c -> Future.succeededFuture());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            scheduler.schedule(
                "a", Duration.ofSeconds(1), Duration.ZERO, c -> Future.succeededFuture()));
    assertTrue(scheduler.trigger("nope").failed());
    scheduler.unschedule("a");
    assertNull(scheduler.stats("a"));
  }
}
