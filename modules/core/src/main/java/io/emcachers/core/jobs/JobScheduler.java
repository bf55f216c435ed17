package io.emcachers.core.jobs;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The design notes' job server. Runs named jobs every {@code interval} after an initial delay. The
 * next run is scheduled only when the previous one completes, so runs of a job never overlap. On
 * {@link #shutdown(Duration)} every running job sees its cancellation signal and shutdown waits for
 * them up to the bound. Runs {@link #trigger} on demand too (skipped when one is in progress).
 */
public final class JobScheduler {

  private static final Logger LOG = LoggerFactory.getLogger(JobScheduler.class);

  private final Vertx vertx;
  private final Map<String, Entry> jobs = new ConcurrentHashMap<>();
  private final Promise<Void> cancelSignal = Promise.promise();
  private volatile boolean shuttingDown;

  public JobScheduler(Vertx vertx) {
    this.vertx = vertx;
  }

  /**
   * Schedules {@code job}; throws if a job of that name exists or the scheduler is shutting down.
   */
  public synchronized void schedule(
      String name, Duration interval, Duration initialDelay, Job job) {
    if (shuttingDown) {
      throw new IllegalStateException("scheduler is shutting down");
    }
    if (interval.toMillis() < 1 || initialDelay.isNegative()) {
      throw new IllegalArgumentException(
          "job " + name + ": interval must be >= 1 ms and initial delay >= 0");
    }
    Entry entry = new Entry(name, interval.toMillis(), initialDelay.toMillis(), job);
    if (jobs.putIfAbsent(name, entry) != null) {
      throw new IllegalArgumentException("job already scheduled: " + name);
    }
    entry.arm(Math.max(1, entry.initialDelayMs));
  }

  /** Removes a job; a run in progress finishes but no further run starts. */
  public void unschedule(String name) {
    Entry e = jobs.remove(name);
    if (e != null) {
      e.disarm();
    }
  }

  /** Starts a run now unless one is already running; returns that run's completion. */
  public Future<Void> trigger(String name) {
    Entry e = jobs.get(name);
    if (e == null) {
      return Future.failedFuture(new IllegalArgumentException("no such job: " + name));
    }
    return e.runNow();
  }

  public List<JobStats> stats() {
    List<JobStats> list = new ArrayList<>();
    jobs.values().forEach(e -> list.add(e.snapshot()));
    list.sort((a, b) -> a.name().compareTo(b.name()));
    return list;
  }

  public JobStats stats(String name) {
    Entry e = jobs.get(name);
    return e == null ? null : e.snapshot();
  }

  /**
   * Signals cancellation to running jobs, stops scheduling, and waits for running jobs up to {@code
   * bound}.
   */
  public Future<Void> shutdown(Duration bound) {
    List<Future<Void>> running = new ArrayList<>();
    synchronized (this) {
      shuttingDown = true;
      for (Entry e : jobs.values()) {
        e.disarm();
        Future<Void> current = e.current;
        if (current != null) {
          running.add(current);
        }
      }
    }
    cancelSignal.tryComplete();
    if (running.isEmpty()) {
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    long timer =
        vertx.setTimer(
            Math.max(1, bound.toMillis()),
            t -> {
              LOG.warn(
                  "job scheduler: {} job(s) still running after {} ms, giving up waiting",
                  running.stream().filter(f -> !f.isComplete()).count(),
                  bound.toMillis());
              done.tryComplete();
            });
    Future.join(running)
        .onComplete(
            ar -> {
              vertx.cancelTimer(timer);
              done.tryComplete();
            });
    return done.future();
  }

  private final class Entry implements JobContext {
    final String name;
    final long intervalMs;
    final long initialDelayMs;
    final Job job;
    volatile long timerId = -1;
    volatile Future<Void> current;
    volatile long runCount;
    volatile long failureCount;
    volatile Instant lastStart;
    volatile long lastDurationMs;
    volatile String lastOutcome;
    volatile String lastError;

    Entry(String name, long intervalMs, long initialDelayMs, Job job) {
      this.name = name;
      this.intervalMs = intervalMs;
      this.initialDelayMs = initialDelayMs;
      this.job = job;
    }

    synchronized void arm(long delay) {
      if (shuttingDown || jobs.get(name) != this) {
        return;
      }
      timerId =
          vertx.setTimer(
              delay,
              t -> {
                timerId = -1;
                runNow();
              });
    }

    synchronized void disarm() {
      if (timerId >= 0) {
        vertx.cancelTimer(timerId);
        timerId = -1;
      }
    }

    synchronized Future<Void> runNow() {
      if (current != null) {
        return current;
      }
      if (shuttingDown) {
        return Future.succeededFuture();
      }
      disarm();
      long start = System.nanoTime();
      lastStart = Instant.now();
      // Marked running before the job body runs, so a trigger() from inside the body is a no-op.
      Promise<Void> finished = Promise.promise();
      current = finished.future();
      Future<?> run;
      try {
        run = job.run(this);
        if (run == null) {
          run = Future.succeededFuture();
        }
      } catch (RuntimeException e) {
        run = Future.failedFuture(e);
      }
      run.onComplete(
          ar -> {
            synchronized (Entry.this) {
              lastDurationMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
              runCount++;
              if (ar.succeeded()) {
                lastOutcome = cancelled() ? JobStats.OUTCOME_CANCELLED : JobStats.OUTCOME_OK;
                lastError = null;
              } else {
                failureCount++;
                lastOutcome = cancelled() ? JobStats.OUTCOME_CANCELLED : JobStats.OUTCOME_FAILED;
                lastError = String.valueOf(ar.cause());
                LOG.warn("job {} failed: {}", name, ar.cause().toString());
              }
              current = null;
              arm(intervalMs);
            }
            finished.complete();
          });
      return finished.future();
    }

    JobStats snapshot() {
      return new JobStats(
          name,
          intervalMs,
          initialDelayMs,
          current != null,
          runCount,
          failureCount,
          lastStart,
          lastDurationMs,
          lastOutcome,
          lastError);
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public boolean cancelled() {
      return shuttingDown;
    }

    @Override
    public Future<Void> onCancel() {
      return cancelSignal.future();
    }
  }
}
