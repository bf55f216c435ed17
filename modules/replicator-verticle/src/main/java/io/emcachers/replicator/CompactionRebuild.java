package io.emcachers.replicator;

import io.emcachers.cache.CacheDbVerticle;
import io.emcachers.core.bus.Addresses;
import io.emcachers.core.client.BusCaller;
import io.emcachers.core.client.CacheClient;
import io.emcachers.core.messages.CacheEntityRequest;
import io.emcachers.core.messages.JobAccepted;
import io.emcachers.core.messages.ReplicaReportReply;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rebuild after compaction, as {@link CompactionRecovery} decides it: the node missed deletes
 * that compaction removed (its offset is below the tombstone horizon, or the registry says {@code
 * rebuild_required}). Says so (WARN line, status event {@code rebuilding_after_compaction}),
 * reports {@code rebuilt = true} with offset 0 (so the horizon stays behind the builds, which read
 * from 0), resets the node offset to 0, rebuilds every cache of the node from the compacted oplog
 * ({@code emc.cache.rebuild}: each new file is swapped in only when complete; the old one serves
 * reads meanwhile); the node then sweeps the compacted state from 0 (rows the rebuilt caches hold
 * are skipped). A failure leaves the rebuild pending: the next pass starts it again.
 *
 * <p>Event-loop confined; logs under the loop's logger.
 */
final class CompactionRebuild {

  private static final Logger LOG = LoggerFactory.getLogger(SyncLoop.class);

  private final Vertx vertx;
  private final ReplicatorConfig config;
  private final NodeOffsetStore offsets;
  private final EntityDirectory entities;
  private final ProgressTracker progress;
  private final CacheClient cache;
  private final ReplicaReporter reporter;
  private final BusCaller rawBus;

  /** The node offset was reset to 0 in meta.sqlite: the rebuilds start. */
  private final Runnable atZero;

  CompactionRebuild(
      Vertx vertx,
      ReplicatorConfig config,
      NodeOffsetStore offsets,
      EntityDirectory entities,
      ProgressTracker progress,
      CacheClient cache,
      ReplicaReporter reporter,
      Runnable atZero) {
    this.vertx = vertx;
    this.config = config;
    this.offsets = offsets;
    this.entities = entities;
    this.progress = progress;
    this.cache = cache;
    this.reporter = reporter;
    this.rawBus = new BusCaller(vertx.eventBus());
    this.atZero = atZero;
  }

  /**
   * Rebuilds every cache of the node; completes with the number of caches once each was swapped in.
   */
  Future<Integer> run(long after, ReplicaReportReply why, String reason) {
    LOG.warn(
        "replicator {}: node offset {}, oplog tombstone horizon {} (compacted_below {}, rebuild_required {}): {}; deletes this node had not applied may have been compacted away: rebuilding every cache of this node from the compacted oplog",
        config.nodeId(),
        after,
        why.tombstoneHorizon(),
        why.compactedBelow(),
        why.rebuildRequired(),
        reason);
    progress.onRebuildAfterCompaction(after, why, reason);
    return reporter
        .report(0, true)
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
              atZero.run();
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
            });
  }

  /** {@code data} of the {@code rebuilding_after_compaction} event ({@link ProgressTracker}). */
  static JsonObject eventData(
      String nodeId, long nodeOffset, ReplicaReportReply why, String reason) {
    return new JsonObject()
        .put("node", nodeId)
        .put("offset", nodeOffset)
        .put("tombstone_horizon", why.tombstoneHorizon())
        .put("compacted_below", why.compactedBelow())
        .put("rebuild_required", why.rebuildRequired())
        .put("reason", reason)
        .put(
            "error",
            reason
                + " (node offset "
                + nodeOffset
                + ", tombstone horizon "
                + why.tombstoneHorizon()
                + "): rebuilding every cache from the compacted oplog");
  }

  private Future<JobAccepted> rebuildAndWait(String name) {
    DeliveryOptions options =
        new DeliveryOptions()
            .setSendTimeout(config.applyTimeoutMs())
            .addHeader(CacheDbVerticle.WAIT_FOR_SWAP_HEADER, "true");
    return rawBus.request(
        Addresses.CACHE_REBUILD, new CacheEntityRequest(name), JobAccepted.class, options);
  }
}
