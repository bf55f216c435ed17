package io.emcachers.replicator;

import io.emcachers.cache.CacheDbVerticle;
import io.emcachers.core.client.CacheClient;
import io.emcachers.core.messages.CacheApplyReply;
import io.emcachers.core.messages.OplogReadReply;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.Oplog;
import io.emcachers.replicator.SyncLoop.Outcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies one batch the {@link SyncLoop} read: grouped by entity (id order within a group), the
 * groups in parallel through {@code emc.cache.apply} (each in one SQLite transaction with its
 * {@code last_oplog_id}), then the node offset written — only after every group committed, so a
 * crash in between replays rows the caches skip. Event-loop confined; logs under the loop's logger.
 */
final class BatchApplier {

  private static final Logger LOG = LoggerFactory.getLogger(SyncLoop.class);

  private final Vertx vertx;
  private final ReplicatorConfig config;
  private final NodeOffsetStore offsets;
  private final EntityDirectory entities;
  private final ProgressTracker progress;
  private final MeterRegistry meters;
  private final CacheClient cache;
  private final DeliveryOptions applyOptions;
  private final CompactionRecovery compaction;
  private final ReadSize readSize;

  /** The node offset was committed: the loop's new position. */
  private final LongConsumer committed;

  BatchApplier(
      Vertx vertx,
      ReplicatorConfig config,
      NodeOffsetStore offsets,
      EntityDirectory entities,
      ProgressTracker progress,
      MeterRegistry meters,
      CacheClient cache,
      DeliveryOptions applyOptions,
      CompactionRecovery compaction,
      ReadSize readSize,
      LongConsumer committed) {
    this.vertx = vertx;
    this.config = config;
    this.offsets = offsets;
    this.entities = entities;
    this.progress = progress;
    this.meters = meters;
    this.cache = cache;
    this.applyOptions = applyOptions;
    this.compaction = compaction;
    this.readSize = readSize;
    this.committed = committed;
  }

  /** Applies {@code reply} (read after {@code after}) and commits the offset. */
  Future<Outcome> apply(long after, OplogReadReply reply) {
    progress.onHead(reply.headId());
    List<Oplog> rows = reply.rows();
    if (rows.isEmpty()) {
      compaction.stopSweeping(); // nothing after the offset up to the head: plain reads from here
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
              committed.accept(next);
              if (compaction.sweeping() && next >= reply.headId()) {
                compaction.stopSweeping(); // at the head: plain reads from here
                LOG.info(
                    "replicator {}: read the compacted state up to the head {}",
                    config.nodeId(),
                    next);
              }
              progress.onCommitted(next, lastRow);
              boolean behind = next < reply.headId();
              readSize.observe(behind, groups.size());
              return rows.size() >= config.readBatchSize() || behind ? Outcome.MORE : Outcome.IDLE;
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
