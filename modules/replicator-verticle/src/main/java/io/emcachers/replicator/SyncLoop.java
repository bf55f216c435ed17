package io.emcachers.replicator;

import io.emcachers.cache.CacheDbVerticle;
import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.client.BusCaller;
import io.emcachers.core.client.CacheClient;
import io.emcachers.core.client.OplogClient;
import io.emcachers.core.messages.CacheApplyReply;
import io.emcachers.core.messages.CacheEntityRequest;
import io.emcachers.core.messages.CacheInfoReply;
import io.emcachers.core.messages.JobAccepted;
import io.emcachers.core.messages.OplogReadReply;
import io.emcachers.core.messages.ReplicaReportReply;
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
import io.vertx.core.json.JsonArray;
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
 *   <li>Compaction: the node registers with the oplog's replica registry ({@code
 *       emc.oplog.replica.report}) whenever it (re)establishes its position, before it reads, and
 *       every {@code report_interval_ms}. A node at offset 0 with empty caches sweeps the compacted
 *       state ({@code emc.oplog.read.compacted}) up to the head. A read that fails COMPACTED goes
 *       on with the compacted state from the node offset when {@code offset + 1 >=
 *       tombstone_horizon} (no delete it needs is gone); otherwise, or when a report says {@code
 *       rebuild_required}, every cache of the node is rebuilt from the compacted oplog and the node
 *       sweeps again from 0 ({@link #rebuildAfterCompaction}): never a delete silently missed.
 * </ul>
 */
final class SyncLoop {

  private static final Logger LOG = LoggerFactory.getLogger(SyncLoop.class);

  /** How long the report job waits for the cache-db manager's health (running rebuilds). */
  private static final long HEALTH_TIMEOUT_MS = 5000;

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
  private final BusCaller rawBus;

  private Long position; // null: unknown, re-read before the next read

  /** The last known node offset (reported to the replica registry); -1 before the first. */
  private long lastOffset = -1;

  /** Reading the compacted state ({@code emc.oplog.read.compacted}) until the head is reached. */
  private boolean sweeping;

  /** The last reply of the replica registry (null before the first report). */
  private ReplicaReportReply lastReport;

  /** Set when the node must rebuild its caches from the compacted oplog: why. */
  private ReplicaReportReply rebuildPending;

  /** Why the pending rebuild is needed (for the log line and the status event). */
  private String rebuildReason;

  private boolean rebuilding;

  /** A rebuild after compaction waits for its caches to be swapped in. */
  private boolean waitingForRebuilds;

  /** Incremented by every finished rebuild after compaction: older report replies are stale. */
  private int rebuildGeneration;

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
    this.rawBus = new BusCaller(vertx.eventBus());
  }

  /** The last reply of the replica registry, or null. */
  ReplicaReportReply lastReport() {
    return lastReport;
  }

  /** Whether a rebuild after compaction is pending or running. */
  boolean rebuildingAfterCompaction() {
    return rebuilding || rebuildPending != null;
  }

  /**
   * Reports the node's applied offset to the oplog's replica registry (the periodic job, and when a
   * cache rebuild starts). Nothing before the position is first known (the pass reports it then);
   * offset 0 while a rebuild after compaction is pending or running (its builds read from 0);
   * otherwise the node offset, lowered to the {@code read_through} of any cache rebuild running on
   * this node (a build reads from 0: the deletes above its position must stay). A reply that says
   * {@code rebuild_required} makes the next pass rebuild.
   */
  Future<ReplicaReportReply> report() {
    if (lastOffset < 0) {
      return Future.succeededFuture(lastReport);
    }
    int generation = rebuildGeneration;
    long nodeOffset = lastOffset;
    Future<Long> offset =
        rebuildingAfterCompaction()
            ? Future.succeededFuture(0L)
            : cache
                .health(HEALTH_TIMEOUT_MS)
                .map(h -> Math.min(nodeOffset, lowestRebuildPosition(h.details())))
                .otherwise(nodeOffset);
    return offset
        .compose(
            o ->
                report(o, false)
                    .compose(
                        r ->
                            // the registry never lowers an offset unless told rebuilt: a cache
                            // rebuild runs below the stored offset, move it back (after the
                            // plain report, so a rebuild_required is seen, not cleared)
                            !r.rebuildRequired()
                                    && !rebuildingAfterCompaction()
                                    && o < nodeOffset
                                    && o < r.appliedOffset()
                                ? report(o, true)
                                : Future.succeededFuture(r)))
        .onSuccess(
            r -> {
              if (r.rebuildRequired()
                  && !rebuildingAfterCompaction()
                  && generation == rebuildGeneration) {
                requestRebuild(r, "the replica registry says rebuild_required");
                wake();
              }
            });
  }

  /** The lowest {@code read_through} of the running cache rebuilds, Long.MAX_VALUE when none. */
  static long lowestRebuildPosition(JsonObject cacheHealth) {
    long lowest = Long.MAX_VALUE;
    JsonArray jobs = cacheHealth == null ? null : cacheHealth.getJsonArray("rebuilds");
    if (jobs != null) {
      for (Object o : jobs) {
        if (o instanceof JsonObject j
            && ("started".equals(j.getString("state"))
                || "rebuilding".equals(j.getString("state")))) {
          lowest = Math.min(lowest, j.getLong("read_through", 0L));
        }
      }
    }
    return lowest;
  }

  private void requestRebuild(ReplicaReportReply why, String reason) {
    if (rebuildPending == null) {
      rebuildPending = why;
      rebuildReason = reason;
    }
  }

  private Future<ReplicaReportReply> report(long offset, boolean rebuilt) {
    return oplog.reportReplica(config.nodeId(), offset, rebuilt).onSuccess(r -> lastReport = r);
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

  /**
   * Stops scheduling and completes when the pass in flight (if any) has finished — at once while a
   * rebuild after compaction waits for its caches (which can take minutes; the offset was already
   * reset and is not written again by that pass).
   */
  Future<Void> stop() {
    stopped = true;
    cancelTimer();
    if (!running || waitingForRebuilds) {
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
            after -> {
              if (rebuildPending != null) {
                return rebuildAfterCompaction(after, rebuildPending);
              }
              Future<OplogReadReply> read =
                  sweeping
                      ? oplog.readCompacted(after, config.readBatchSize(), null)
                      : oplog.read(after, config.readBatchSize(), null);
              return read.compose(
                  reply -> applyBatch(after, reply),
                  err ->
                      Bus.codeOf(err) == ErrorCodes.COMPACTED
                          ? onCompacted(after)
                          : Future.failedFuture(err));
            });
  }

  /**
   * {@code emc.oplog.read} failed COMPACTED: the history after the node offset was compacted. With
   * the horizons of a report made now: {@code offset + 1 >= tombstone_horizon} and no {@code
   * rebuild_required} → no delete the node needs was removed, go on with the compacted state from
   * the offset; else rebuild.
   */
  private Future<Outcome> onCompacted(long after) {
    return report(after, false)
        .compose(
            r -> {
              if (!r.rebuildRequired() && after + 1 >= r.tombstoneHorizon()) {
                sweeping = true;
                LOG.info(
                    "replicator {}: oplog history after {} is compacted (compacted_below {}), tombstone horizon {}: no delete was missed, reading the compacted state from the node offset",
                    config.nodeId(),
                    after,
                    r.compactedBelow(),
                    r.tombstoneHorizon());
                return Future.succeededFuture(Outcome.MORE);
              }
              requestRebuild(
                  r,
                  r.rebuildRequired()
                      ? "the replica registry says rebuild_required"
                      : "the node offset is below the oplog's tombstone horizon");
              return rebuildAfterCompaction(after, rebuildPending);
            });
  }

  /**
   * The node missed deletes that compaction removed (its offset is below the tombstone horizon, or
   * the registry says {@code rebuild_required}): says so (WARN line, status event {@code
   * rebuilding_after_compaction}), reports {@code rebuilt = true} with offset 0 (so the horizon
   * stays behind the builds, which read from 0), resets the node offset to 0, rebuilds every cache
   * of the node from the compacted oplog ({@code emc.cache.rebuild}: each new file is swapped in
   * only when complete; the old one serves reads meanwhile) and then sweeps the compacted state
   * from 0 (rows the rebuilt caches hold are skipped). A failure leaves the rebuild pending: the
   * next pass starts it again.
   */
  private Future<Outcome> rebuildAfterCompaction(long after, ReplicaReportReply why) {
    rebuilding = true;
    String reason = rebuildReason == null ? "rebuild required" : rebuildReason;
    LOG.warn(
        "replicator {}: node offset {}, oplog tombstone horizon {} (compacted_below {}, rebuild_required {}): {}; deletes this node had not applied may have been compacted away: rebuilding every cache of this node from the compacted oplog",
        config.nodeId(),
        after,
        why.tombstoneHorizon(),
        why.compactedBelow(),
        why.rebuildRequired(),
        reason);
    progress.onRebuildAfterCompaction(after, why, reason);
    return report(0, true)
        .compose(
            r ->
                vertx.executeBlocking(
                    () -> {
                      offsets.write(0);
                      return null;
                    },
                    false))
        .compose(
            v -> {
              position = 0L;
              lastOffset = 0;
              waitingForRebuilds = true;
              return cache.info(null);
            })
        .compose(
            info -> {
              JsonObject caches = info.info().getJsonObject("entities", new JsonObject());
              List<Future<?>> jobs = new ArrayList<>();
              for (String name : caches.fieldNames()) {
                jobs.add(
                    entities
                        .resolve(name)
                        .compose(
                            e -> e == null ? Future.succeededFuture() : rebuildAndWait(e.name())));
              }
              return Future.all(jobs).map(caches.size());
            })
        .map(
            n -> {
              rebuildPending = null;
              rebuildReason = null;
              rebuildGeneration++;
              sweeping = true;
              LOG.info(
                  "replicator {}: rebuilt {} cache(s) from the compacted oplog; reading the compacted state from 0",
                  config.nodeId(),
                  n);
              progress.onRebuiltAfterCompaction(n);
              return Outcome.MORE;
            })
        .onComplete(
            x -> {
              rebuilding = false;
              waitingForRebuilds = false;
            });
  }

  private Future<JobAccepted> rebuildAndWait(String name) {
    DeliveryOptions options =
        new DeliveryOptions()
            .setSendTimeout(config.applyTimeoutMs())
            .addHeader(CacheDbVerticle.WAIT_FOR_SWAP_HEADER, "true");
    return rawBus.request(
        Addresses.CACHE_REBUILD, new CacheEntityRequest(name), JobAccepted.class, options);
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
              lastOffset = offset;
              // a node at 0 whose caches are empty bootstraps from the compacted state
              boolean empty =
                  perEntity.fieldNames().stream()
                      .allMatch(
                          n -> {
                            JsonObject i = perEntity.getJsonObject(n);
                            return i == null || i.getLong("last_oplog_id", 0L) == 0L;
                          });
              if (offset == 0 && empty) {
                sweeping = true;
              }
              // register (or refresh) with the replica registry before reading
              return report(rebuildPending != null ? 0 : offset, false)
                  .compose(
                      r -> {
                        if (r.rebuildRequired()) {
                          requestRebuild(r, "the replica registry says rebuild_required");
                        } else if (r.appliedOffset() > offset && rebuildPending == null) {
                          // the registry holds a later offset than meta.sqlite (a lost or restored
                          // data dir under this node id): the horizon was held at the wrong place
                          if (offset == 0 && empty) {
                            LOG.info(
                                "replicator {}: the replica registry holds offset {} for this node, whose data dir is empty: registering a fresh bootstrap at 0",
                                config.nodeId(),
                                r.appliedOffset());
                            return report(0, true) // a fresh bootstrap: register it as such
                                .compose(fresh -> catchUp.run(offset, perEntity));
                          }
                          requestRebuild(
                              r,
                              "the replica registry holds offset "
                                  + r.appliedOffset()
                                  + ", above this node's "
                                  + offset);
                        }
                        return catchUp.run(offset, perEntity);
                      })
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
      sweeping = false; // nothing after the offset up to the head: plain reads from here
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
              lastOffset = next;
              if (sweeping && next >= reply.headId()) {
                sweeping = false; // at the head: plain reads from here
                LOG.info(
                    "replicator {}: read the compacted state up to the head {}",
                    config.nodeId(),
                    next);
              }
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
