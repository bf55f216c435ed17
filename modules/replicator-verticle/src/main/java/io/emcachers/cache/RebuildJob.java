package io.emcachers.cache;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.messages.OplogReadReply;
import io.emcachers.core.messages.OplogReadRequest;
import io.emcachers.core.messages.StatusEvent;
import io.emcachers.core.model.Entity;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds an entity's cache from its oplog rows (read with the entity filter from id 0) into
 * {@code db.sqlite.rebuild} next to the live file, then swaps it in (close, rename) once it is caught
 * up. Three modes:
 *
 * <ul>
 *   <li>{@link Mode#INITIAL}: no cache file yet (new entity, dropped or removed cache). Applies wait.
 *   <li>{@link Mode#SHAPE}: the file is not a cache of the entity as it is now: another shape, incarnation
 *       or doc-id rule ({@link CacheIdentity}). Reads keep using the old file; applies wait.
 *   <li>{@link Mode#RECREATE}: on request. The old file keeps serving reads and receiving batches;
 *       the swap waits until the new file holds at least what the old one holds.
 * </ul>
 *
 * Runs on the verticle's event loop; SQLite work goes to the worker pool. Progress is published on
 * {@code emc.status} (type progress, component cache) with {@code data.job_id}.
 */
final class RebuildJob {

  private static final Logger LOG = LoggerFactory.getLogger(RebuildJob.class);

  enum Mode {
    INITIAL,
    SHAPE,
    RECREATE;

    boolean blocksApplies() {
      return this != RECREATE;
    }
  }

  private final String jobId = UUID.randomUUID().toString();
  private final Entity entity;
  private final Mode mode;
  private final CacheRegistry registry;
  private final WorkerExecutor workers;
  private final EventBus bus;
  private final Context context;
  private final CacheConfig config;
  private final Promise<Void> done = Promise.promise();
  private final Instant startedAt = Instant.now();

  private volatile boolean cancelled;
  private volatile String state = "started";
  private volatile long rows;
  private volatile long lastOplogId;
  private volatile long headId;
  private volatile String error;
  private volatile Instant finishedAt;
  private long lastPublishNanos;
  private CacheDb staging;

  RebuildJob(Entity entity, Mode mode, CacheRegistry registry, WorkerExecutor workers, EventBus bus, Context context, CacheConfig config) {
    this.entity = entity;
    this.mode = mode;
    this.registry = registry;
    this.workers = workers;
    this.bus = bus;
    this.context = context;
    this.config = config;
  }

  String jobId() {
    return jobId;
  }

  Entity entity() {
    return entity;
  }

  Mode mode() {
    return mode;
  }

  Future<Void> future() {
    return done.future();
  }

  boolean finished() {
    return done.future().isComplete();
  }

  void cancel() {
    cancelled = true;
  }

  /** Starts the job; completes {@link #future()} when the new file is in place (or the job failed). */
  RebuildJob start() {
    LOG.info("cache {}: rebuild {} started ({}, shape {}, incarnation {})", entity.name(), jobId, mode, entity.shape().hash(),
        CacheSchema.incarnation(entity));
    publish("started");
    workers.<CacheDb>executeBlocking(() -> registry.openRebuildFile(entity), false).onComplete(ar -> {
      if (ar.failed()) {
        fail(ar.cause());
      } else {
        staging = ar.result();
        step();
      }
    });
    return this;
  }

  private void step() {
    step(read(lastOplogId));
  }

  private Future<OplogReadReply> read(long after) {
    OplogReadRequest req = new OplogReadRequest(after, config.rebuildBatchSize(), List.of(entity.name()));
    return Bus.request(bus, Addresses.OPLOG_READ, req, OplogReadReply.class);
  }

  /** Applies one page; the next page is already being read meanwhile (PostgreSQL and SQLite work overlap). */
  private void step(Future<OplogReadReply> page) {
    if (cancelled) {
      fail(new IllegalStateException("cancelled"));
      return;
    }
    page.onComplete(ar -> {
      if (ar.failed()) {
        fail(ar.cause());
        return;
      }
      OplogReadReply reply = ar.result();
      headId = Math.max(headId, reply.headId());
      if (!reply.rows().isEmpty()) {
        Future<OplogReadReply> next = read(reply.nextAfter());
        workers.executeBlocking(() -> {
          staging.writeLock.lock();
          try {
            return staging.apply(entity, reply.rows(), false);
          } finally {
            staging.writeLock.unlock();
          }
        }, false).onComplete(applied -> {
          if (applied.failed()) {
            fail(applied.cause());
            return;
          }
          rows += applied.result().applied();
          lastOplogId = Math.max(lastOplogId, Math.max(applied.result().lastOplogId(), reply.nextAfter()));
          state = "rebuilding";
          maybePublishProgress();
          context.runOnContext(v -> step(next));
        });
        return;
      }
      // caught up with the oplog head: try to swap
      long last = lastOplogId;
      long head = headId;
      workers.executeBlocking(() -> registry.swapIn(entity.name(), staging, last, mode == Mode.RECREATE, head, () -> cancelled), false)
          .onComplete(swap -> {
            if (swap.failed()) {
              fail(swap.cause());
            } else if (!swap.result()) {
              context.runOnContext(v -> step()); // the live file moved on meanwhile: read on
            } else {
              state = "swapped";
              finishedAt = Instant.now();
              LOG.info("cache {}: rebuild {} done, {} rows, last_oplog_id {}, {} ms", entity.name(), jobId, rows, lastOplogId,
                  Duration.between(startedAt, finishedAt).toMillis());
              publish("swapped");
              done.tryComplete();
            }
          });
    });
  }

  private void fail(Throwable cause) {
    state = cancelled ? "cancelled" : "failed";
    error = String.valueOf(cause.getMessage());
    finishedAt = Instant.now();
    if (cancelled) {
      LOG.info("cache {}: rebuild {} cancelled", entity.name(), jobId);
    } else {
      LOG.warn("cache {}: rebuild {} failed: {}", entity.name(), jobId, cause.toString());
    }
    publish(state);
    CacheDb s = staging;
    if (s == null) {
      done.tryFail(cause);
      return;
    }
    workers.executeBlocking(() -> {
      registry.discardRebuildFile(s);
      return null;
    }, false).onComplete(x -> done.tryFail(cause));
  }

  private void maybePublishProgress() {
    long now = System.nanoTime();
    if (now - lastPublishNanos > 500_000_000L) {
      lastPublishNanos = now;
      publish(state);
    }
  }

  private void publish(String st) {
    bus.publish(Addresses.STATUS, StatusEvent.of(StatusEvent.TYPE_PROGRESS, "cache", entity.name(), st, toJson()));
  }

  JsonObject toJson() {
    return new JsonObject()
        .put("node", config.nodeId())
        .put("job_id", jobId)
        .put("kind", "rebuild")
        .put("mode", mode.name().toLowerCase())
        .put("entity", entity.name())
        .put("state", state)
        .put("rows", rows)
        .put("last_oplog_id", lastOplogId)
        .put("head_id", headId)
        .put("started_at", startedAt.toString())
        .put("finished_at", finishedAt == null ? null : finishedAt.toString())
        .put("error", error);
  }
}
