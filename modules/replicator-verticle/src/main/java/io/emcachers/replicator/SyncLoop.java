package io.emcachers.replicator;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.client.CacheClient;
import io.emcachers.core.client.OplogClient;
import io.emcachers.core.messages.OplogReadReply;
import io.emcachers.core.messages.ReplicaReportReply;
import io.emcachers.core.messages.ReplicatorApplied;
import io.emcachers.core.retry.Backoff;
import io.emcachers.replicator.partition.Partitioner;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.List;
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
 *       skip ({@link BatchApplier}).
 *   <li>Wake-ups: {@code emc.oplog.appended} runs a pass at once (or right after the running one);
 *       a timer of {@code poll_interval_ms} is the safety net; a full batch runs the next pass at
 *       once.
 *   <li>Batch size: {@code read_batch_size} rows at the head; behind it, more in proportion to the
 *       entities a batch spreads over ({@link ReadSize}), so each cache transaction stays large.
 *   <li>Errors: capped exponential backoff, consecutive-error count, one "recovered" line.
 *   <li>Compaction: registration with the oplog's replica registry ({@link ReplicaReporter}), the
 *       sweep of the compacted state, COMPACTED reads and the rebuild after compaction ({@link
 *       CompactionRecovery}).
 * </ul>
 */
final class SyncLoop {

  private static final Logger LOG = LoggerFactory.getLogger(SyncLoop.class);

  /** What a pass found: {@code MORE} runs the next one at once. */
  enum Outcome {
    IDLE,
    MORE
  }

  private final Vertx vertx;
  private final Context context;
  private final OplogClient oplog;
  private final ReplicatorConfig config;
  private final EntityDirectory entities;
  private final ProgressTracker progress;
  private final Backoff backoff;
  private final MeterRegistry meters;
  private final PositionRecovery positions;
  private final ReplicaReporter reporter;
  private final CompactionRecovery compaction;
  private final BatchApplier batches;
  private final CacheClient cache;
  private final Partitioner partitioner;
  private final ReadSize readSize;

  private Long position; // null: unknown, re-read before the next read

  private boolean started;
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
      CacheClient cache,
      Partitioner partitioner) {
    this.vertx = vertx;
    this.cache = cache;
    this.partitioner = partitioner;
    this.context = context;
    this.oplog = oplog;
    this.config = config;
    this.entities = entities;
    this.progress = progress;
    this.meters = meters;
    this.backoff = new Backoff(config.initialBackoffMs(), config.maxBackoffMs());
    this.readSize = new ReadSize(config.readBatchSize(), config.maxReadBatchSize());
    DeliveryOptions applyOptions = new DeliveryOptions().setSendTimeout(config.applyTimeoutMs());
    this.reporter = new ReplicaReporter(oplog, cache, config.nodeId());
    this.compaction =
        new CompactionRecovery(
            vertx,
            config,
            offsets,
            entities,
            progress,
            cache,
            reporter,
            this::wake,
            () -> position = 0L);
    this.batches =
        new BatchApplier(
            vertx,
            config,
            offsets,
            entities,
            progress,
            meters,
            cache,
            applyOptions,
            compaction,
            readSize,
            next -> {
              position = next;
              reporter.offset(next);
              // node-local: read-your-writes waits on this node wake at once
              vertx
                  .eventBus()
                  .publish(
                      Addresses.REPLICATOR_APPLIED,
                      new ReplicatorApplied(config.nodeId(), next),
                      new DeliveryOptions().setLocalOnly(true));
            });
    this.positions =
        new PositionRecovery(
            vertx, config, offsets, entities, progress, oplog, cache, applyOptions, compaction);
  }

  /** The last reply of the replica registry, or null. */
  ReplicaReportReply lastReport() {
    return reporter.lastReport();
  }

  /** Whether a rebuild after compaction is pending or running. */
  boolean rebuildingAfterCompaction() {
    return compaction.rebuildingAfterCompaction();
  }

  /** The periodic report to the replica registry ({@link CompactionRecovery#report}). */
  Future<ReplicaReportReply> report() {
    return compaction.report();
  }

  /** The lowest {@code read_through} of the running cache rebuilds, Long.MAX_VALUE when none. */
  static long lowestRebuildPosition(JsonObject cacheHealth) {
    return ReplicaReporter.lowestRebuildPosition(cacheHealth);
  }

  int consecutiveErrors() {
    return backoff.consecutiveErrors();
  }

  /** The position in memory (null while unknown). */
  Long position() {
    return position;
  }

  void start() {
    started = true;
    schedule(0);
  }

  /**
   * New rows exist: run a pass now, or right after the running one. Ignored while backing off, and
   * before {@link #start} (the verticle is still establishing what it holds).
   */
  void wake() {
    if (!started || stopped || inBackoff) {
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
    if (!running || compaction.waitingForRebuilds()) {
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
            readSize.reset();
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
    Future<Void> ready =
        (entities.loaded() ? Future.<Void>succeededFuture() : entities.load())
            .compose(v -> releaseCaches());
    return ready
        .compose(v -> position != null ? Future.succeededFuture(position) : recoverPosition())
        .compose(
            after -> {
              if (compaction.rebuildPending()) {
                return compaction.rebuildAfterCompaction(after);
              }
              Future<OplogReadReply> read =
                  compaction.sweeping()
                      ? oplog.readCompacted(after, readSize.next(), null)
                      : oplog.read(after, readSize.next(), null);
              return read.compose(
                  reply -> batches.apply(after, reply),
                  err ->
                      Bus.codeOf(err) == ErrorCodes.COMPACTED
                          ? compaction.onCompacted(after)
                          : Future.failedFuture(err));
            });
  }

  /**
   * Drops the caches of entities this node released (partitioned mode) before the pass reads, so no
   * apply of theirs is in flight; from here on their rows are skipped.
   */
  private Future<Void> releaseCaches() {
    List<String> released = partitioner.takeReleases();
    if (released.isEmpty()) {
      return Future.succeededFuture();
    }
    return Future.all(
            released.stream()
                .map(e -> cache.drop(e).onSuccess(x -> progress.onEntityDeleted(e)))
                .toList())
        .mapEmpty();
  }

  /** Re-reads the position ({@link PositionRecovery}); the pass reads after it. */
  private Future<Long> recoverPosition() {
    return positions
        .recover()
        .map(
            offset -> {
              position = offset;
              return offset;
            });
  }
}
