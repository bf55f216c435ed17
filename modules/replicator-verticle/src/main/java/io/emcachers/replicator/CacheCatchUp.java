package io.emcachers.replicator;

import io.emcachers.core.client.CacheClient;
import io.emcachers.core.client.OplogClient;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.Oplog;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings every cache up to the node offset whenever the loop (re)establishes its position. The loop
 * reads after the offset, so rows of an entity at or below it that its cache does not hold (a file
 * put back from an older copy, a cache that went backwards) would never be sent again: for each
 * cache whose {@code last_oplog_id} is below the offset, the entity's rows after it are read
 * (entity filter; a one-row probe first, usually the only read) and those at or below the offset
 * applied like any batch. Event-loop confined.
 */
final class CacheCatchUp {

  private static final Logger LOG = LoggerFactory.getLogger(CacheCatchUp.class);

  private final OplogClient oplog;
  private final CacheClient cache;
  private final ReplicatorConfig config;
  private final EntityDirectory entities;
  private final ProgressTracker progress;
  private final DeliveryOptions applyOptions;

  CacheCatchUp(
      OplogClient oplog,
      CacheClient cache,
      ReplicatorConfig config,
      EntityDirectory entities,
      ProgressTracker progress,
      DeliveryOptions applyOptions) {
    this.oplog = oplog;
    this.cache = cache;
    this.config = config;
    this.entities = entities;
    this.progress = progress;
    this.applyOptions = applyOptions;
  }

  /**
   * @param caches {@code emc.cache.info} entities: name → info with {@code last_oplog_id}
   */
  Future<Void> run(long offset, JsonObject caches) {
    List<Future<?>> all = new ArrayList<>();
    for (String name : caches.fieldNames()) {
      JsonObject info = caches.getJsonObject(name);
      long last = info == null ? offset : info.getLong("last_oplog_id", 0L);
      if (last < offset) {
        all.add(
            entities
                .resolve(name)
                .compose(
                    e -> e == null ? Future.succeededFuture() : catchUp(e, last, offset, 1, 0)));
      }
    }
    return Future.all(all).mapEmpty();
  }

  /**
   * Reads {@code limit} rows of {@code e} after {@code after}, applies those at or below the
   * offset, and goes on while all were.
   */
  private Future<Void> catchUp(Entity e, long after, long offset, int limit, long applied) {
    // the cache's position may lie below the compacted range: read the compacted state (never
    // COMPACTED; superseded rows are gone, the latest row of each document is there)
    return oplog
        .readCompacted(after, limit, List.of(e.name()))
        .compose(
            reply -> {
              List<Oplog> rows = reply.rows().stream().filter(r -> r.id() <= offset).toList();
              if (rows.isEmpty()) {
                if (applied > 0) {
                  LOG.info(
                      "replicator {}: cache {} was behind the node offset {}: caught up with {} row(s) from the oplog",
                      config.nodeId(),
                      e.name(),
                      offset,
                      applied);
                }
                return Future.succeededFuture();
              }
              long last = rows.get(rows.size() - 1).id();
              boolean more = rows.size() == reply.rows().size() && last < offset;
              return cache
                  .apply(e, rows, applyOptions)
                  .compose(
                      r -> {
                        progress.onApplied(e.name(), r.lastOplogId(), r.applied(), r.skipped());
                        return catchUp(
                            e,
                            last,
                            offset,
                            more ? config.readBatchSize() : 1,
                            applied + rows.size());
                      });
            });
  }
}
