package io.emcachers.cache;

import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.client.EntitiesClient;
import io.emcachers.core.messages.CacheEntityRequest;
import io.emcachers.core.messages.CacheInfoReply;
import io.emcachers.core.messages.EntityChanged;
import io.emcachers.core.messages.JobAccepted;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.status.StatusPublisher;
import io.emcachers.core.validation.EntityValidator;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the caches on disk in line with the entities: drops the cache of a deleted (or unknown)
 * entity, starts an identity rebuild when a cache is not one of its entity as it is now, and serves
 * {@code emc.cache.rebuild} and {@code emc.cache.drop}. Driven by {@code emc.entities.changed} and
 * the reconcile job. Runs on the cache-db verticle's event loop; SQLite work on the worker pool.
 */
final class CacheLifecycle {

  private static final Logger LOG = LoggerFactory.getLogger(CacheLifecycle.class);

  private final EntitiesClient entitiesClient;
  private final StatusPublisher status;
  private final String nodeId;
  private final CacheRegistry registry;
  private final WorkerExecutor workers;
  private final RebuildJobs rebuilds;
  private final ReadAddresses readAddresses;
  private final Tombstones tombstones;

  CacheLifecycle(
      EntitiesClient entitiesClient,
      StatusPublisher status,
      String nodeId,
      CacheRegistry registry,
      WorkerExecutor workers,
      RebuildJobs rebuilds,
      ReadAddresses readAddresses,
      Tombstones tombstones) {
    this.entitiesClient = entitiesClient;
    this.status = status;
    this.nodeId = nodeId;
    this.registry = registry;
    this.workers = workers;
    this.rebuilds = rebuilds;
    this.readAddresses = readAddresses;
    this.tombstones = tombstones;
  }

  void onEntityChanged(EntityChanged ev) {
    Entity e = ev.entity();
    if (e == null || !EntityValidator.isValidName(e.name())) {
      return;
    }
    String name = e.name();
    if (EntityChanged.DELETED.equals(ev.change()) || e.status() == EntityStatus.deleted) {
      tombstones.add(e);
      drop(name, "entity deleted");
      return;
    }
    if (EntityChanged.CREATED.equals(ev.change())) {
      tombstones.remove(name);
    }
    if (rebuilds.replaceFailed(e, registry.exists(name)) != null) {
      // rows were skipped while the cache was failed; the file is rebuilt from the oplog
      LOG.info("cache {}: the failed shape was replaced; rebuilding from the oplog", name);
      return;
    }
    RebuildJobs.Failure failure = rebuilds.failedFor(e);
    if (failure != null && e.status() == EntityStatus.live) {
      markEntityFailed(name, failure.error()); // e.g. a scan that ended after the cache failed
    }
    if (registry.exists(name)) {
      checkIdentity(e);
    }
  }

  /**
   * {@code emc.cache.rebuild}: rebuilds the entity's cache from the oplog (recreate when it exists)
   * and swaps it in. Replies at once, or with {@code waitForSwap} once the new file is in place
   * (failing when the job fails). An explicit request retries a cache recorded as failed; one with
   * {@code waitForSwap} (the replicator's rebuild after compaction) leaves it failed and replies at
   * once with job id {@code failed}.
   */
  Future<JobAccepted> rebuildRequest(CacheEntityRequest req, boolean waitForSwap) {
    String name = CacheRegistry.requireName(req.entity());
    return entitiesClient
        .get(name)
        .map(
            reply -> {
              Entity e = reply.entity();
              if (e.status() == EntityStatus.deleted) {
                throw new CacheException(
                    CacheException.Kind.NOT_FOUND, "entity " + name + " is deleted");
              }
              RebuildJob.Mode mode =
                  registry.exists(name) ? RebuildJob.Mode.RECREATE : RebuildJob.Mode.INITIAL;
              RebuildJobs.Failure failure = rebuilds.failedFor(e);
              if (waitForSwap && failure != null) {
                // the replicator's rebuild after compaction: a cache that is failed for this
                // identity skips its rows anyway, so it is not rebuilt over and over; a newer shape
                // or an explicit recreate rebuilds it
                return null;
              }
              return rebuilds.retry(e, mode);
            })
        .compose(
            job -> {
              if (job == null) {
                return Future.succeededFuture(new JobAccepted("failed", name));
              }
              JobAccepted accepted = new JobAccepted(job.jobId(), name);
              return waitForSwap ? job.future().map(accepted) : Future.succeededFuture(accepted);
            });
  }

  /**
   * Starts a rebuild (mode shape) when the cache file is not a cache of {@code e} as it is now:
   * another shape, incarnation or doc-id rule ({@link CacheIdentity#mismatch}).
   */
  private void checkIdentity(Entity e) {
    RebuildJob running = rebuilds.running(e.name());
    if ((running != null && CacheIdentity.same(running.entity(), e))
        || rebuilds.failedFor(e) != null) {
      return;
    }
    workers
        .executeBlocking(() -> registry.meta(e.name()), false)
        .onSuccess(
            meta -> {
              String mismatch = CacheIdentity.mismatch(meta, e);
              if (mismatch != null) {
                LOG.info("cache {} {}; rebuilding from the oplog", e.name(), mismatch);
                rebuilds.rebuild(e, RebuildJob.Mode.SHAPE);
              }
            })
        .onFailure(
            err -> LOG.warn("cache {}: identity check failed: {}", e.name(), err.toString()));
  }

  /**
   * A cache of {@code e} cannot be kept: its data violates a unique index ({@link RebuildJobs}).
   * Said on the status feed (error, state {@code cache_failed}) and in the entity's status, which
   * becomes {@code failed} when it is live (a scan still running ends as live; the failure is set
   * again then).
   */
  void cacheFailed(Entity e, String error) {
    LOG.error("cache {}: failed, the last good file keeps serving: {}", e.name(), error);
    status.error(
        e.name(),
        "cache_failed",
        new JsonObject()
            .put("message", error)
            .put(
                "note",
                "the last good cache file keeps serving; fix the data or the shape, then recreate"
                    + " the cache (POST /api/replication/recreate/"
                    + e.name()
                    + ")"));
    entitiesClient
        .get(e.name())
        .onSuccess(
            r -> {
              if (r.entity().status() == EntityStatus.live) {
                markEntityFailed(e.name(), error);
              }
            });
  }

  private void markEntityFailed(String name, String error) {
    entitiesClient
        .setStatus(name, EntityStatus.failed, "cache: " + error)
        .onFailure(
            err ->
                LOG.warn("cache {}: could not mark the entity failed: {}", name, err.toString()));
  }

  private Future<Boolean> drop(String name, String reason) {
    readAddresses.unserve(name);
    RebuildJob running = rebuilds.running(name);
    if (running != null) {
      running.cancel();
    }
    return workers
        .executeBlocking(() -> registry.drop(name), false)
        .onSuccess(
            existed -> {
              if (existed) {
                status.progress(name, "dropped", new JsonObject().put("reason", reason));
              }
            })
        .onFailure(err -> LOG.warn("cache {}: drop failed: {}", name, err.toString()));
  }

  /** {@code emc.cache.drop}: closes the cache's connections and removes its directory. */
  Future<CacheInfoReply> dropRequest(CacheEntityRequest req) {
    String name = CacheRegistry.requireName(req.entity());
    return drop(name, "drop requested")
        .map(
            existed ->
                new CacheInfoReply(
                    new JsonObject()
                        .put("node", nodeId)
                        .put("entity", name)
                        .put("dropped", existed)
                        .put("open_connections", registry.openConnections())));
  }

  /**
   * Reconciles the caches on disk with the entity store: drops caches of deleted (or unknown)
   * entities and rebuilds caches whose shape, incarnation or doc-id rule is out of date. Runs at
   * start and every cleanup interval.
   */
  Future<Void> reconcile() {
    return entitiesClient
        .list(true)
        .compose(
            list -> {
              Map<String, Entity> byName = new HashMap<>();
              list.entities().forEach(e -> byName.put(e.name(), e));
              List<Future<?>> work = new ArrayList<>();
              for (String name : registry.existingNames()) {
                Entity e = byName.get(name);
                if (e == null) {
                  Future<Boolean> lookup =
                      entitiesClient
                          .get(name)
                          .map(r -> false)
                          .recover(
                              err ->
                                  Bus.codeOf(err) == ErrorCodes.NOT_FOUND
                                      ? drop(name, "entity unknown")
                                      : Future.failedFuture(err));
                  work.add(lookup);
                } else if (e.status() == EntityStatus.deleted) {
                  tombstones.add(e);
                  work.add(drop(name, "entity deleted"));
                } else {
                  checkIdentity(e);
                }
              }
              return Future.join(work).<Void>mapEmpty();
            })
        .onComplete(x -> readAddresses.refresh());
  }
}
