package io.emcachers.api.changes;

import io.emcachers.api.BusClient;
import io.emcachers.api.errors.ApiException;
import io.emcachers.core.model.Oplog;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams one entity's oplog changes after an id to one client ({@link ChangeSink}), in id order,
 * with bounded memory: it reads {@code api.changes_batch_rows} rows at a time ({@code
 * emc.oplog.read}, the same read and compaction check as {@code GET /api/oplogs}), writes them
 * while the client's queue has room, and reads again only when they are all written. The queue is
 * the bytes written and not yet taken by the connection (a write's future completes when the
 * connection took it), plus the transport's own {@code writeQueueFull()}: at {@code
 * api.changes_max_queued_bytes} the pump stops and waits for the drain. So a client holds at most
 * that bound plus one change in the queue, plus one read of rows. A queue that stays full for
 * {@code api.changes_slow_client_timeout_ms} disconnects the client, logged with the last event id
 * sent; it resumes with {@code Last-Event-ID} (SSE) or {@code after}. With every row written, the
 * pump waits for {@code emc.oplog.appended} to pass the head it read ({@link Watermark}), not a
 * timer. Confined to the API verticle's context.
 */
final class ChangePump {

  private static final Logger LOG = LoggerFactory.getLogger(ChangePump.class);

  private final Vertx vertx;
  private final BusClient bus;
  private final FeedConfig config;
  private final Watermark heads;
  private final ChangeSink sink;
  private final String entity;
  private final FeedMetrics metrics;
  private final String transport;
  private final ArrayDeque<Oplog> pending = new ArrayDeque<>();
  private long after;
  private long lastSent;
  private long queued;
  private boolean reading;
  private boolean waitingForRoom;
  private boolean closed;
  private Watermark.Waiter waiter;
  private long slowTimer = -1;
  private long heartbeatTimer = -1;
  private Runnable onClose = () -> {};

  ChangePump(
      Vertx vertx,
      BusClient bus,
      FeedConfig config,
      Watermark heads,
      FeedMetrics metrics,
      ChangeSink sink,
      String transport,
      String entity,
      long after) {
    this.vertx = vertx;
    this.bus = bus;
    this.config = config;
    this.heads = heads;
    this.metrics = metrics;
    this.sink = sink;
    this.transport = transport;
    this.entity = entity;
    this.after = after;
    this.lastSent = after;
  }

  /** Runs once when the pump ends for any reason. */
  ChangePump onClose(Runnable r) {
    this.onClose = r;
    return this;
  }

  void start() {
    metrics.opened();
    sink.closeHandler(v -> close());
    heartbeatTimer =
        vertx.setPeriodic(
            config.heartbeatMs(),
            t -> {
              if (!closed && !full()) {
                sink.heartbeat();
              }
            });
    LOG.debug("change feed {} of {} opened for {} after {}", transport, entity, sink.peer(), after);
    read();
  }

  /** The bytes this client has queued now. */
  long queued() {
    return queued;
  }

  private boolean full() {
    return queued >= config.maxQueuedBytes() || sink.writeQueueFull();
  }

  private void read() {
    if (closed || reading) {
      return;
    }
    waiter = null;
    reading = true;
    bus.oplog()
        .read(after, config.batchRows(), List.of(entity))
        .onComplete(
            ar -> {
              reading = false;
              if (closed) {
                return;
              }
              if (ar.failed()) {
                failWith(ar.cause());
                return;
              }
              heads.raise(ar.result().headId());
              if (ar.result().rows().isEmpty()) {
                waiter = heads.await(ar.result().headId(), this::read);
                return;
              }
              pending.addAll(ar.result().rows());
              after = Math.max(after, ar.result().nextAfter());
              drain();
            });
  }

  private void drain() {
    while (!closed && !pending.isEmpty()) {
      if (full()) {
        waitForRoom();
        return;
      }
      Oplog row = pending.poll();
      Buffer frame = sink.frame(row);
      int size = frame.length();
      queued += size;
      metrics.queued(size, queued);
      metrics.event();
      lastSent = row.id();
      sink.write(frame)
          .onComplete(
              ar -> {
                queued -= size;
                metrics.queued(-size, queued);
                if (waitingForRoom && queued <= config.maxQueuedBytes() / 2) {
                  roomAgain();
                }
              });
    }
    if (!closed) {
      read();
    }
  }

  private void waitForRoom() {
    if (waitingForRoom) {
      return;
    }
    waitingForRoom = true;
    sink.drainHandler(v -> roomAgain());
    slowTimer = vertx.setTimer(config.slowClientTimeoutMs(), t -> tooSlow());
  }

  private void roomAgain() {
    if (closed || !waitingForRoom || full()) {
      return;
    }
    waitingForRoom = false;
    if (slowTimer >= 0) {
      vertx.cancelTimer(slowTimer);
      slowTimer = -1;
    }
    drain();
  }

  private void tooSlow() {
    slowTimer = -1;
    if (closed || !waitingForRoom) {
      return;
    }
    LOG.warn(
        "change feed {} of {}: client {} took nothing for {} ms with {} bytes queued (limit {});"
            + " disconnected. Last event id sent: {}; it resumes with Last-Event-ID or after",
        transport,
        entity,
        sink.peer(),
        config.slowClientTimeoutMs(),
        queued,
        config.maxQueuedBytes(),
        lastSent);
    metrics.disconnected("slow");
    close();
    sink.disconnect("too slow: the write queue stayed full");
  }

  private void failWith(Throwable t) {
    ApiException e =
        t instanceof ApiException a
            ? a
            : new ApiException(503, "unavailable", String.valueOf(t.getMessage()));
    String message =
        e.status() == 410
            ? ChangeReads.compactedMessage(entity, after, e.getMessage())
            : e.getMessage();
    LOG.info("change feed {} of {} for {} ends: {}", transport, entity, sink.peer(), message);
    close();
    sink.fail(e.code(), message);
  }

  void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (waiter != null) {
      waiter.cancel();
    }
    for (long t : new long[] {slowTimer, heartbeatTimer}) {
      if (t >= 0) {
        vertx.cancelTimer(t);
      }
    }
    pending.clear();
    metrics.closed();
    onClose.run();
  }
}
