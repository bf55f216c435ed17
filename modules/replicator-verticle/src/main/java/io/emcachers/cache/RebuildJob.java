package io.emcachers.cache;

import io.emcachers.core.client.OplogClient;
import io.emcachers.core.messages.OplogReadReply;
import io.emcachers.core.model.Entity;
import io.emcachers.core.status.StatusPublisher;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds an entity's cache from its oplog rows (read with the entity filter from id 0, through the
 * compacted state: {@code emc.oplog.read.compacted}) into {@code db.sqlite.rebuild} next to the
 * live file, then swaps it in (close, rename; {@link RebuildFiles}) once it is caught up. Three
 * modes:
 *
 * <ul>
 *   <li>{@link Mode#INITIAL}: no cache file yet (new entity, dropped or removed cache). Applies
 *       wait.
 *   <li>{@link Mode#SHAPE}: the file is not a cache of the entity as it is now: another shape,
 *       incarnation or doc-id rule ({@link CacheIdentity}). Reads keep using the old file; applies
 *       wait.
 *   <li>{@link Mode#RECREATE}: on request. The old file keeps serving reads and receiving batches
 *       until the final catch-up.
 * </ul>
 *
 * <p>Once a read first finds no more rows (the bulk load is in), the shape's indexes are built
 * ({@link RebuildFiles#buildSecondary}); a unique index the rows violate fails the job with a
 * {@link UniqueViolationException} and the live file stays as it was.
 *
 * <p>A swap never makes the cache go backwards. Once a read finds no more rows, the job holds the
 * entity's new applies back ({@link #blocksApplies}), waits for those in flight ({@link
 * AppliesInFlight}), then reads on until it has read every row of the entity up to the live file's
 * {@code last_oplog_id} ({@code read_through}) and swaps; the held-back applies then go to the new
 * file, which skips what it already holds.
 *
 * <p>Runs on the verticle's event loop; SQLite work goes to the worker pool. Progress is published
 * on {@code emc.status} (type progress, component cache) with {@code data.job_id}.
 *
 * <p>Longer than our usual 300 lines on purpose: the job is one state machine (open → page reads
 * overlapped with applies → hold applies → final catch-up → swap, or fail and discard) whose states
 * ({@code staging}, {@code readThrough}, {@code holding}, {@code liveAhead}, {@code cancelled})
 * every step reads and writes; split, each part would need the others' state passed back and forth
 * and the order of the phases would no longer be readable in one place. The rest is its status
 * ({@link #toJson}), which reads the same fields.
 */
final class RebuildJob {

  private static final Logger LOG = LoggerFactory.getLogger(RebuildJob.class);

  enum Mode {
    INITIAL,
    SHAPE,
    RECREATE
  }

  private final String jobId = UUID.randomUUID().toString();
  private final Entity entity;
  private final Mode mode;
  private final RebuildFiles files;
  private final WorkerExecutor workers;
  private final OplogClient oplog;
  private final StatusPublisher status;
  private final Context context;
  private final CacheConfig config;
  private final AppliesInFlight inFlight;
  private final Promise<Void> done = Promise.promise();
  private final Instant startedAt = Instant.now();

  private volatile boolean cancelled;
  private volatile String state = "started";
  private volatile long rows;
  private volatile long lastOplogId;

  /** Every oplog row of the entity up to this id is in the rebuilt file. */
  private volatile long readThrough;

  private volatile long headId;
  private volatile String error;
  private volatile Instant finishedAt;
  private long lastPublishNanos;
  private CacheDb staging;

  /** Final phase: the entity's applies are held back until the swap. */
  private boolean holding;

  /** The live file's last_oplog_id when a swap was last refused (0: never refused). */
  private long liveAhead;

  RebuildJob(
      Entity entity,
      Mode mode,
      RebuildFiles files,
      WorkerExecutor workers,
      OplogClient oplog,
      StatusPublisher status,
      Context context,
      CacheConfig config,
      AppliesInFlight inFlight) {
    this.entity = entity;
    this.mode = mode;
    this.files = files;
    this.workers = workers;
    this.oplog = oplog;
    this.status = status;
    this.context = context;
    this.config = config;
    this.inFlight = inFlight;
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

  /**
   * Whether applies of the entity wait for this job: always, except for a recreate before its final
   * catch-up.
   */
  boolean blocksApplies() {
    return mode != Mode.RECREATE || holding;
  }

  /**
   * Whether the live file may serve reads while this job runs (it still holds the entity's
   * identity).
   */
  boolean liveServes() {
    return mode == Mode.RECREATE;
  }

  Future<Void> future() {
    return done.future();
  }

  /** The error of a failed job (null while running or after success). */
  String error() {
    return error;
  }

  boolean finished() {
    return done.future().isComplete();
  }

  void cancel() {
    cancelled = true;
  }

  /**
   * Starts the job; completes {@link #future()} when the new file is in place (or the job failed).
   */
  RebuildJob start() {
    LOG.info(
        "cache {}: rebuild {} started ({}, shape {}, incarnation {})",
        entity.name(),
        jobId,
        mode,
        entity.shape().hash(),
        CacheSchema.incarnation(entity));
    publish("started");
    workers
        .<CacheDb>executeBlocking(() -> files.open(entity), false)
        .onComplete(
            ar -> {
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
    step(read(readThrough));
  }

  /**
   * The compacted state of the entity ({@code emc.oplog.read.compacted}, never COMPACTED): paging
   * from 0 through history that compaction thinned out is always valid for a build from scratch.
   */
  private Future<OplogReadReply> read(long after) {
    return oplog.readCompacted(after, config.rebuildBatchSize(), List.of(entity.name()));
  }

  /**
   * Applies one page; the next page is already being read meanwhile (PostgreSQL and SQLite work
   * overlap).
   */
  private void step(Future<OplogReadReply> page) {
    if (cancelled) {
      fail(new IllegalStateException("cancelled"));
      return;
    }
    page.onComplete(
        ar -> {
          if (ar.failed()) {
            fail(ar.cause());
            return;
          }
          OplogReadReply reply = ar.result();
          headId = Math.max(headId, reply.headId());
          if (!reply.rows().isEmpty()) {
            Future<OplogReadReply> next = read(reply.nextAfter());
            workers
                .executeBlocking(
                    () -> {
                      staging.writeLock.lock();
                      try {
                        return staging.apply(entity, reply.rows(), false);
                      } finally {
                        staging.writeLock.unlock();
                      }
                    },
                    false)
                .onComplete(
                    applied -> {
                      if (applied.failed()) {
                        fail(applied.cause());
                        return;
                      }
                      rows += applied.result().applied();
                      lastOplogId = Math.max(lastOplogId, applied.result().lastOplogId());
                      readThrough = Math.max(readThrough, reply.nextAfter());
                      state = "rebuilding";
                      maybePublishProgress();
                      context.runOnContext(v -> step(next));
                    });
            return;
          }
          // no entity row after readThrough up to the head this read saw
          readThrough = Math.max(readThrough, reply.headId());
          if (!holding) {
            // the bulk load is in: build the indexes once, then the final catch-up (hold new
            // applies back, let those in flight finish, then read on from here)
            state = "indexing";
            workers
                .executeBlocking(
                    () -> {
                      files.buildSecondary(staging);
                      return null;
                    },
                    false)
                .onComplete(
                    built -> {
                      if (built.failed()) {
                        fail(built.cause());
                        return;
                      }
                      holding = true;
                      inFlight.idle(entity.name()).onComplete(x -> step());
                    });
            return;
          }
          if (liveAhead > readThrough) {
            // applies are held and none is in flight, yet the live file claims rows beyond the
            // oplog's head:
            // it did not come from this oplog, and waiting would never end
            LOG.warn(
                "cache {}: the live file's last_oplog_id {} is beyond the oplog head {}; swapping in the rebuilt file",
                entity.name(),
                liveAhead,
                reply.headId());
            readThrough = liveAhead;
          }
          trySwap();
        });
  }

  private void trySwap() {
    long through = readThrough;
    workers
        .executeBlocking(
            () -> files.swapIn(entity.name(), staging, through, () -> cancelled), false)
        .onComplete(
            swap -> {
              if (swap.failed()) {
                fail(swap.cause());
              } else if (!swap.result().done()) {
                liveAhead = swap.result().liveLast();
                step(); // the live file holds rows this one has not read yet: read on
              } else {
                state = "swapped";
                finishedAt = Instant.now();
                LOG.info(
                    "cache {}: rebuild {} done, {} rows, last_oplog_id {}, read through {}, {} ms",
                    entity.name(),
                    jobId,
                    rows,
                    lastOplogId,
                    readThrough,
                    Duration.between(startedAt, finishedAt).toMillis());
                publish("swapped");
                done.tryComplete();
              }
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
    workers
        .executeBlocking(
            () -> {
              files.discard(s);
              return null;
            },
            false)
        .onComplete(x -> done.tryFail(cause));
  }

  private void maybePublishProgress() {
    long now = System.nanoTime();
    if (now - lastPublishNanos > 500_000_000L) {
      lastPublishNanos = now;
      publish(state);
    }
  }

  private void publish(String st) {
    status.progress(entity.name(), st, toJson());
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
        .put("read_through", readThrough)
        .put("head_id", headId)
        .put("started_at", startedAt.toString())
        .put("finished_at", finishedAt == null ? null : finishedAt.toString())
        .put("error", error);
  }
}
