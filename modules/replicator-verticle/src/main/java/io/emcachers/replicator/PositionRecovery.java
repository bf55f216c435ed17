package io.emcachers.replicator;

import io.emcachers.core.client.CacheClient;
import io.emcachers.core.client.OplogClient;
import io.emcachers.core.messages.CacheInfoReply;
import io.emcachers.core.model.EntityStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * (Re)establishes the {@link SyncLoop}'s position, at start and after any error: re-reads the node
 * offset from meta.sqlite and each cache's last_oplog_id, registers with the replica registry
 * ({@link CompactionRecovery#register}), and brings every cache that is behind the offset up to it
 * ({@link CacheCatchUp}) before the loop reads after it. Event-loop confined; logs under the loop's
 * logger.
 */
final class PositionRecovery {

  private static final Logger LOG = LoggerFactory.getLogger(SyncLoop.class);

  private final Vertx vertx;
  private final ReplicatorConfig config;
  private final NodeOffsetStore offsets;
  private final ProgressTracker progress;
  private final CacheClient cache;
  private final CompactionRecovery compaction;
  private final CacheCatchUp catchUp;
  private final EntityDirectory entities;

  PositionRecovery(
      Vertx vertx,
      ReplicatorConfig config,
      NodeOffsetStore offsets,
      EntityDirectory entities,
      ProgressTracker progress,
      OplogClient oplog,
      CacheClient cache,
      DeliveryOptions applyOptions,
      CompactionRecovery compaction) {
    this.vertx = vertx;
    this.config = config;
    this.offsets = offsets;
    this.progress = progress;
    this.cache = cache;
    this.compaction = compaction;
    this.entities = entities;
    this.catchUp = new CacheCatchUp(oplog, cache, config, entities, progress, applyOptions);
  }

  /**
   * A node that has applied nothing yet builds the cache of every live entity it has no cache of
   * now, all at once, instead of one after the other as the loop's read first meets a row of each
   * (behind every row of the entities before it: a fresh node reading a compacted oplog met the
   * second entity only after the first one's whole state). Each build is the same INITIAL rebuild
   * the loop's first apply would start (that apply joins it); nothing is skipped or marked done, so
   * a build that fails here is simply started again by that apply.
   */
  private void startInitialBuilds(JsonObject perEntity) {
    entities
        .active()
        .forEach(
            (name, e) -> {
              if (e.status() == EntityStatus.live && !perEntity.containsKey(name)) {
                cache
                    .rebuild(name)
                    .onFailure(
                        err ->
                            LOG.debug(
                                "replicator {}: early build of cache {} not started: {}",
                                config.nodeId(),
                                name,
                                err.toString()));
              }
            });
  }

  /** The node offset, once every cache is at least there. */
  Future<Long> recover() {
    Future<Long> stored = vertx.executeBlocking(offsets::read, false);
    Future<CacheInfoReply> caches = cache.info(null);
    return Future.all(stored, caches)
        .compose(
            x -> {
              long offset = stored.result();
              JsonObject perEntity =
                  caches.result().info().getJsonObject("entities", new JsonObject());
              progress.onRecovered(offset, perEntity);
              // register (or refresh) with the replica registry before reading
              return compaction
                  .register(offset, perEntity)
                  .compose(v -> catchUp.run(offset, perEntity))
                  .map(
                      v -> {
                        if (offset == 0) {
                          startInitialBuilds(perEntity);
                        }
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
}
