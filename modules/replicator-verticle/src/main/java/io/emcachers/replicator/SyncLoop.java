package io.emcachers.replicator;

import io.emcachers.cache.CacheDbVerticle;
import io.emcachers.core.client.CacheClient;
import io.emcachers.core.client.OplogClient;
import io.emcachers.core.messages.CacheApplyReply;
import io.emcachers.core.messages.CacheInfoReply;
import io.emcachers.core.messages.OplogReadReply;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.Oplog;
import io.emcachers.core.retry.Backoff;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replication loop: compare the head with what the caches really have, read the oplog rows
 * after the node offset, apply them per entity to the caches, then commit the offset. One pass at a
 * time, on the verticle's event loop; SQLite work happens in the cache-db manager and the offset
 * store (worker threads).
 *
 * <ul>
 *   <li>Position: unknown at start and after any error; then it is re-read — the node offset from
 *       {@code meta.sqlite} and, per entity, the cache's own {@code last_oplog_id} ({@code
 *       emc.cache.info}), which bounds it from below (a cache skips rows it already holds); a cache
 *       below the offset first catches up to it ({@link CacheCatchUp}).
 *   <li>Order: a batch is grouped by entity (id order within a group) and the groups are applied in
 *       parallel, each in one SQLite transaction with its {@code last_oplog_id}. The offset is
 *       written only after every group committed, so a crash in between replays rows the caches
 *       skip.
 *   <li>Wake-ups: {@code emc.oplog.appended} runs a pass at once (or right after the running one);
 *       a timer of {@code poll_interval_ms} is the safety net; a full batch runs the next pass at
 *       once.
 *   <li>Errors: capped exponential backoff, consecutive-error count, one "recovered" line.
 * </ul>
 */
final class SyncLoop {

  private static final Logger LOG = LoggerFactory.getLogger(SyncLoop.class);

  private enum Outcome {
    IDLE,
    MORE
  }

  private final Vertx vertx;
  private final Context context;
  private final OplogClient oplog;
  private final CacheClient cache;
  private final ReplicatorConfig config;
  private final NodeOffsetStore offsets;
  private final EntityDirectory entities;
  private final ProgressTracker progress;
  private final Backoff backoff;
  private final MeterRegistry meters;
  private final DeliveryOptions applyOptions;
  private final CacheCatchUp catchUp;

  private Long position; // null: unknown, re-read before the next read
  private boolean running;
  private boolean wakeRequested;
  private boolean inBackoff;
  private boolean stopped;
  private long timerId = -1;
  private Promise<Void> idle;

  SyncLoop(
      Vertx vertx,
      Context context,
      ReplicatorConfig config,
      NodeOffsetStore offsets,
      EntityDirectory entities,
      ProgressTracker progress,
      MeterRegistry meters,
      OplogClient oplog,
      CacheClient cache) {
    this.vertx = vertx;
    this.context = context;
    this.oplog = oplog;
    this.cache = cache;
    this.config = config;
    this.offsets = offsets;
    this.entities = entities;
    this.progress = progress;
    this.meters = meters;
    this.backoff = new Backoff(config.initialBackoffMs(), config.maxBackoffMs());
    this.applyOptions = new DeliveryOptions().setSendTimeout(config.applyTimeoutMs());
    this.catchUp = new CacheCatchUp(oplog, cache, config, entities, progress, applyOptions);
  }

  int consecutiveErrors() {
    return backoff.consecutiveErrors();
  }

  /** The position in memory (null while unknown). */
  Long position() {
    return position;
  }

  void start() {
    schedule(0);
  }

  /** New rows exist: run a pass now, or right after the running one. Ignored while backing off. */
  void wake() {
    if (stopped || inBackoff) {
      return;
    }
    if (running) {
      wakeRequested = true;
      return;
    }
    cancelTimer();
    run();
  }

  /** Stops scheduling and completes when the pass in flight (if any) has finished. */
  Future<Void> stop() {
    stopped = true;
    cancelTimer();
    if (!running) {
      return Future.succeededFuture();
    }
    idle = Promise.promise();
    return idle.future();
  }

  private void schedule(long delayMs) {
    cancelTimer();
    if (stopped) {
      return;
    }
    if (delayMs <= 0) {
      context.runOnContext(v -> run());
    } else {
      timerId =
          vertx.setTimer(
              delayMs,
              t -> {
                timerId = -1;
                inBackoff = false;
                run();
              });
    }
  }

  private void cancelTimer() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
  }

  private void run() {
    if (stopped || running) {
      return;
    }
    running = true;
    wakeRequested = false;
    inBackoff = false;
    Future<Outcome> pass;
    try {
      pass = syncOnce();
    } catch (RuntimeException e) {
      pass = Future.failedFuture(e);
    }
    pass.onComplete(
        ar -> {
          running = false;
          if (stopped) {
            if (idle != null) {
              idle.tryComplete();
            }
            return;
          }
          if (ar.failed()) {
            long delay = backoff.failed();
            int errors = backoff.consecutiveErrors();
            position = null; // drop the in-memory position; re-read it before the next pass
            entities.invalidate();
            progress.onError(ar.cause(), errors);
            Counter.builder("emc_replicator_errors_total").register(meters).increment();
            LOG.warn(
                "replicator {}: pass failed ({} consecutive error(s)), retrying in {} ms: {}",
                config.nodeId(),
                errors,
                delay,
                ar.cause().toString());
            inBackoff = true;
            schedule(delay);
            return;
          }
          int ended = backoff.succeeded();
          if (ended > 0) {
            LOG.info(
                "replicator {}: recovered after {} consecutive error(s), offset {}",
                config.nodeId(),
                ended,
                position);
          }
          progress.onSuccess();
          progress.publishCaughtUp(entities.active());
          if (ar.result() == Outcome.MORE || wakeRequested) {
            schedule(0);
          } else {
            schedule(config.pollIntervalMs());
          }
        });
  }

  /** One pass: (re)establish the position, read one batch, apply it, commit the offset. */
  private Future<Outcome> syncOnce() {
    Future<Void> ready = entities.loaded() ? Future.succeededFuture() : entities.load();
    return ready
        .compose(v -> position != null ? Future.succeededFuture(position) : recoverPosition())
        .compose(
            after ->
                oplog
                    .read(after, config.readBatchSize(), null)
                    .compose(reply -> applyBatch(after, reply)));
  }

  /**
   * Re-reads the node offset from meta.sqlite and each cache's last_oplog_id, and brings every
   * cache that is behind the offset up to it ({@link CacheCatchUp}) before the loop reads after it.
   */
  private Future<Long> recoverPosition() {
    Future<Long> stored = vertx.executeBlocking(offsets::read, false);
    Future<CacheInfoReply> caches = cache.info(null);
    return Future.all(stored, caches)
        .compose(
            x -> {
              long offset = stored.result();
              JsonObject perEntity =
                  caches.result().info().getJsonObject("entities", new JsonObject());
              progress.onRecovered(offset, perEntity);
              return catchUp
                  .run(offset, perEntity)
                  .map(
                      v -> {
                        position = offset;
                        LOG.info(
                            "replicator {}: position {} (from {}), {} cache(s) on this node",
                            config.nodeId(),
                            offset,
                            offsets.path(),
                            perEntity.size());
                        return offset;
                      });
            });
  }

  private Future<Outcome> applyBatch(long after, OplogReadReply reply) {
    progress.onHead(reply.headId());
    List<Oplog> rows = reply.rows();
    if (rows.isEmpty()) {
      return Future.succeededFuture(Outcome.IDLE);
    }
    progress.onBatchRead(rows);
    Map<String, List<Oplog>> groups = new LinkedHashMap<>();
    for (Oplog row : rows) {
      groups.computeIfAbsent(row.entity(), k -> new ArrayList<>()).add(row);
    }
    long next = Math.max(after, reply.nextAfter());
    // this batch brings every cache to the head as read: each apply makes its cache caught up
    DeliveryOptions options =
        next >= reply.headId()
            ? new DeliveryOptions(applyOptions).addHeader(CacheDbVerticle.CAUGHT_UP_HEADER, "true")
            : applyOptions;
    List<Future<?>> applied = new ArrayList<>();
    for (Map.Entry<String, List<Oplog>> g : groups.entrySet()) {
      applied.add(
          entities
              .resolve(g.getKey())
              .compose(
                  entity ->
                      entity == null
                          ? Future.succeededFuture()
                          : applyGroup(entity, g.getValue(), options)));
    }
    Oplog lastRow = rows.get(rows.size() - 1);
    return Future.all(applied)
        .compose(
            v ->
                vertx.executeBlocking(
                    () -> {
                      offsets.write(next);
                      return null;
                    },
                    false))
        .map(
            v -> {
              position = next;
              progress.onCommitted(next, lastRow);
              return rows.size() >= config.readBatchSize() || next < reply.headId()
                  ? Outcome.MORE
                  : Outcome.IDLE;
            });
  }

  private Future<CacheApplyReply> applyGroup(
      Entity entity, List<Oplog> rows, DeliveryOptions options) {
    return cache
        .apply(entity, rows, options)
        .onSuccess(
            r -> {
              progress.onApplied(entity.name(), r.lastOplogId(), r.applied(), r.skipped());
              if (r.applied() > 0) {
                Counter.builder("emc_replicator_rows_applied_total")
                    .tag("entity", entity.name())
                    .register(meters)
                    .increment(r.applied());
              }
            });
  }
}
