package io.emcachers.oplog.writer;

import io.emcachers.core.bus.BusException;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.circuit.Breaker;
import io.emcachers.core.circuit.CircuitOpenException;
import io.emcachers.oplog.support.PgErrors;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.SqlConnection;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The FIFO of every writing transaction (appends, scan ends, entity changes), executed one at a
 * time on the single writer connection. Because a transaction starts only after the previous one
 * has committed, oplog ids become visible in increasing order and routing to staging never races a
 * status change.
 *
 * <p>Work is accepted only while a connection is {@linkplain #attach attached} (this node leads);
 * otherwise, when the queue is full, or when the connection is lost, the work fails with {@link
 * ErrorCodes#UNAVAILABLE}. A unit of work that runs longer than the write timeout, or fails because
 * PostgreSQL is unreachable, reports the connection as failed so the leader lock closes it and
 * reconnects; its outcome is then unknown and the caller sees UNAVAILABLE (retriable: appends are
 * idempotent upserts/deletes). While idle, the queue pings the session so a dead connection is
 * noticed even without traffic.
 *
 * <p>With a {@link Breaker} every unit runs through the {@code postgresql} circuit breaker
 * (untimed: the write timeout bounds it): while the breaker is open a unit fails at once with its
 * UNAVAILABLE {@link CircuitOpenException}, which is not taken as a sign that this connection is
 * broken.
 *
 * <p>All methods must be called on the verticle's context.
 */
public final class WriteQueue {

  private static final Logger LOG = LoggerFactory.getLogger(WriteQueue.class);

  /** One unit of work on the writer connection; runs its own statement(s) or transaction. */
  @FunctionalInterface
  public interface Work<T> {
    Future<T> run(SqlConnection connection);
  }

  private record Task<T>(String label, Work<T> work, Promise<T> promise) {}

  private final Vertx vertx;
  private final long writeTimeoutMs;
  private final int maxQueued;
  private final long pingIntervalMs;
  private final BiConsumer<SqlConnection, Throwable> onConnectionFailure;
  private final Deque<Task<?>> queue = new ArrayDeque<>();
  private final Breaker breaker;

  private Context context;
  private SqlConnection connection;
  private BooleanSupplier writable = () -> true;
  private String unavailableReason = "this node is not the oplog leader";
  private Task<?> running;
  private long pingTimer = -1;
  private long completed;
  private boolean draining;
  private Promise<Void> drained;

  public WriteQueue(
      Vertx vertx,
      long writeTimeoutMs,
      int maxQueued,
      long pingIntervalMs,
      BiConsumer<SqlConnection, Throwable> onConnectionFailure) {
    this(vertx, writeTimeoutMs, maxQueued, pingIntervalMs, onConnectionFailure, null);
  }

  /** As above, every unit running through {@code breaker} (null: unguarded). */
  public WriteQueue(
      Vertx vertx,
      long writeTimeoutMs,
      int maxQueued,
      long pingIntervalMs,
      BiConsumer<SqlConnection, Throwable> onConnectionFailure,
      Breaker breaker) {
    this.breaker = breaker;
    this.vertx = vertx;
    this.writeTimeoutMs = writeTimeoutMs;
    this.maxQueued = maxQueued;
    this.pingIntervalMs = pingIntervalMs;
    this.onConnectionFailure = onConnectionFailure;
  }

  /** Starts executing work on {@code conn} (this node became the leader). */
  public void attach(SqlConnection conn) {
    attach(conn, () -> true);
  }

  /**
   * Starts executing work on {@code conn}; a unit starts only while {@code writable} says so (the
   * leader's lease is still valid), otherwise it fails UNAVAILABLE without touching the session.
   */
  public void attach(SqlConnection conn, BooleanSupplier writable) {
    this.context = vertx.getOrCreateContext();
    this.connection = conn;
    this.writable = writable;
    this.running =
        null; // a unit still running on a previous (dead) connection completes on its own
    cancelPing();
    pingTimer = vertx.setPeriodic(pingIntervalMs, pingIntervalMs, id -> pingIfIdle());
    pump();
  }

  /**
   * Stops accepting work and fails every queued unit with UNAVAILABLE ({@code reason}). A unit
   * already running on the old connection completes or fails on its own.
   */
  public void detach(String reason) {
    cancelPing();
    connection = null;
    unavailableReason = reason;
    Task<?> t;
    int failed = 0;
    while ((t = queue.poll()) != null) {
      t.promise().tryFail(unavailable(t.label()));
      failed++;
    }
    if (failed > 0) {
      LOG.warn("oplog writer: failed {} queued write(s) with UNAVAILABLE: {}", failed, reason);
    }
  }

  public boolean accepting() {
    return connection != null;
  }

  public int depth() {
    return queue.size() + (running == null ? 0 : 1);
  }

  public long completed() {
    return completed;
  }

  /**
   * Graceful stop: refuses new work (UNAVAILABLE) and completes once the queued and running units
   * have finished, or after {@code boundMs}.
   */
  public Future<Void> drain(long boundMs) {
    draining = true;
    unavailableReason = "the oplog verticle is stopping";
    if (running == null && (queue.isEmpty() || connection == null)) {
      return Future.succeededFuture();
    }
    drained = Promise.promise();
    long timer =
        vertx.setTimer(
            Math.max(1, boundMs),
            id -> {
              if (drained.tryComplete()) {
                LOG.warn(
                    "oplog writer: {} write(s) still pending after {} ms at stop",
                    depth(),
                    boundMs);
              }
            });
    return drained.future().onComplete(ar -> vertx.cancelTimer(timer));
  }

  /**
   * Queues {@code work}; its future completes with the work's outcome (mapped for the bus on
   * failure).
   */
  public <T> Future<T> submit(String label, Work<T> work) {
    return enqueue(label, work, false);
  }

  /**
   * Queues {@code work} ahead of everything waiting (the lease renewal, which must not wait behind
   * a backlog of appends); not bounded by {@code max_queued_writes}.
   */
  public <T> Future<T> submitFirst(String label, Work<T> work) {
    return enqueue(label, work, true);
  }

  private <T> Future<T> enqueue(String label, Work<T> work, boolean first) {
    if (connection == null || draining) {
      return Future.failedFuture(unavailable(label));
    }
    if (!first && queue.size() >= maxQueued) {
      return Future.failedFuture(
          new BusException(
              ErrorCodes.UNAVAILABLE,
              label + ": oplog writer queue is full (" + maxQueued + " waiting), retry later"));
    }
    Promise<T> promise = Promise.promise();
    Task<T> task = new Task<>(label, work, promise);
    if (first) {
      queue.addFirst(task);
    } else {
      queue.add(task);
    }
    pump();
    return promise.future();
  }

  private BusException unavailable(String label) {
    return new BusException(
        ErrorCodes.UNAVAILABLE, label + ": oplog writer unavailable: " + unavailableReason);
  }

  private void pump() {
    while (running == null && connection != null && !queue.isEmpty()) {
      Task<?> task = queue.poll();
      run(task);
    }
    if (drained != null && running == null && (queue.isEmpty() || connection == null)) {
      drained.tryComplete();
    }
  }

  private <T> void run(Task<T> task) {
    if (!writable.getAsBoolean()) {
      task.promise()
          .tryFail(
              new BusException(
                  ErrorCodes.UNAVAILABLE,
                  task.label()
                      + ": oplog writer unavailable: this node's leader lease has passed"));
      return;
    }
    running = task;
    SqlConnection conn = connection;
    long timer =
        vertx.setTimer(
            writeTimeoutMs,
            id -> {
              if (running == task) {
                LOG.warn(
                    "oplog writer: {} still running after {} ms; closing the writer connection",
                    task.label(),
                    writeTimeoutMs);
                onConnectionFailure.accept(
                    conn,
                    new BusException(
                        ErrorCodes.UNAVAILABLE,
                        task.label() + " timed out after " + writeTimeoutMs + " ms"));
              }
            });
    Future<T> result;
    try {
      result =
          breaker == null
              ? task.work().run(conn)
              : breaker.callUntimed(task.label(), () -> task.work().run(conn));
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    result.onComplete(
        ar ->
            runOnContext(
                () -> {
                  vertx.cancelTimer(timer);
                  if (running == task) {
                    running = null;
                  }
                  completed++;
                  if (ar.succeeded()) {
                    task.promise().tryComplete(ar.result());
                  } else {
                    Throwable mapped = PgErrors.toBus(task.label(), ar.cause());
                    if (PgErrors.isUnavailable(ar.cause())
                        && !CircuitOpenException.isCircuitOpen(ar.cause())) {
                      onConnectionFailure.accept(conn, ar.cause());
                    }
                    task.promise().tryFail(mapped);
                  }
                  pump();
                }));
  }

  private void pingIfIdle() {
    if (connection == null || running != null || !queue.isEmpty()) {
      return;
    }
    submit("writer session ping", c -> c.query("SELECT 1").execute().mapEmpty())
        .onFailure(e -> LOG.debug("oplog writer ping failed: {}", e.toString()));
  }

  private void cancelPing() {
    if (pingTimer >= 0) {
      vertx.cancelTimer(pingTimer);
      pingTimer = -1;
    }
  }

  private void runOnContext(Runnable r) {
    if (context == null || Vertx.currentContext() == context) {
      r.run();
    } else {
      context.runOnContext(v -> r.run());
    }
  }
}
