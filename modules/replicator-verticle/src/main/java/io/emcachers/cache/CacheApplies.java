package io.emcachers.cache;

import io.emcachers.core.messages.CacheApplyReply;
import io.emcachers.core.messages.CacheApplyRequest;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.EntityStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code emc.cache.apply} requests: a batch goes to the entity's live file, after the rebuild
 * that must come first (a missing file is built from the oplog, a file of another identity is
 * rebuilt) and while no rebuild holds the entity's applies back. Rows of deleted entities, and of a
 * cache marked failed ({@link RebuildJobs#failedFor}: its data violates a unique index), are
 * skipped. Records the apply metrics. Runs on the cache-db verticle's event loop; SQLite work on
 * the worker pool.
 */
final class CacheApplies {

  private static final Logger LOG = LoggerFactory.getLogger(CacheApplies.class);

  private final CacheRegistry registry;
  private final WorkerExecutor workers;
  private final RebuildJobs rebuilds;
  private final AppliesInFlight inFlight;
  private final Tombstones tombstones;
  private final MeterRegistry meters;
  private final Timer applyTimer;
  private long appliedTotal;
  private long nulledTotal;

  CacheApplies(
      CacheRegistry registry,
      WorkerExecutor workers,
      RebuildJobs rebuilds,
      AppliesInFlight inFlight,
      Tombstones tombstones,
      MeterRegistry meters) {
    this.registry = registry;
    this.workers = workers;
    this.rebuilds = rebuilds;
    this.inFlight = inFlight;
    this.tombstones = tombstones;
    this.meters = meters;
    this.applyTimer =
        Timer.builder("emc_cache_apply_seconds")
            .description("time to apply one batch to a cache")
            .register(meters);
  }

  /** Rows written by applies since start. */
  long appliedTotal() {
    return appliedTotal;
  }

  /** Values stored as NULL because they did not fit their column, since start. */
  long nulledTotal() {
    return nulledTotal;
  }

  Future<CacheApplyReply> apply(CacheApplyRequest req) {
    Entity e = req.entity();
    if (e == null) {
      throw CacheException.invalid("entity is required");
    }
    String name = CacheRegistry.requireName(e.name());
    if (e.status() == EntityStatus.deleted || tombstones.covers(e)) {
      return Future.succeededFuture(new CacheApplyReply(name, 0, 0, req.rows().size()));
    }
    RebuildJob replacing = rebuilds.replaceFailed(e, registry.exists(name));
    if (replacing != null) {
      LOG.info("cache {}: the failed shape was replaced; rebuilding from the oplog", name);
      if (replacing.blocksApplies()) {
        return replacing.future().transform(x -> apply(req));
      }
    }
    if (rebuilds.failedFor(e) != null) {
      // the data violates a unique index: the last good file stays as it is until the data or the
      // shape changes and the cache is rebuilt (recreate)
      return Future.succeededFuture(new CacheApplyReply(name, 0, 0, req.rows().size()));
    }
    RebuildJob running = rebuilds.running(name);
    if (running != null && running.blocksApplies()) {
      return running.future().transform(x -> apply(req));
    }
    long start = System.nanoTime();
    inFlight.begin(name);
    return workers
        .executeBlocking(() -> registry.apply(e, req.rows()), false)
        .onComplete(x -> inFlight.end(name))
        .map(
            out -> {
              applyTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
              appliedTotal += out.applied();
              if (out.nulled() > 0) {
                nulledTotal += out.nulled();
                Counter.builder("emc_cache_values_nulled_total")
                    .tag("entity", name)
                    .register(meters)
                    .increment(out.nulled());
                LOG.warn(
                    "cache {}: {} value(s) did not fit their column type and were stored as NULL",
                    name,
                    out.nulled());
              }
              return new CacheApplyReply(name, out.lastOplogId(), out.applied(), out.skipped());
            })
        .recover(
            err -> {
              if (err instanceof CacheMissingException) {
                return rebuilds
                    .rebuild(e, RebuildJob.Mode.INITIAL)
                    .future()
                    .compose(x -> apply(req));
              }
              if (err instanceof UniqueViolationException) {
                rebuilds.markFailed(e, err.getMessage());
                return Future.succeededFuture(new CacheApplyReply(name, 0, 0, req.rows().size()));
              }
              if (err instanceof IdentityMismatchException) {
                LOG.info("{}; rebuilding from the oplog", err.getMessage());
                return rebuilds.rebuild(e, RebuildJob.Mode.SHAPE).future().compose(x -> apply(req));
              }
              return Future.failedFuture(err);
            });
  }
}
