package io.emcachers.replicator;

import io.emcachers.core.client.CacheClient;
import io.emcachers.core.messages.ReplicaReportReply;
import io.emcachers.replicator.SyncLoop.Outcome;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the {@link SyncLoop} does about oplog compaction. The node registers with the oplog's
 * replica registry ({@link ReplicaReporter}) whenever it (re)establishes its position, before it
 * reads ({@link #register}), and every {@code report_interval_ms} ({@link #report}). A node at
 * offset 0 with empty caches sweeps the compacted state ({@code emc.oplog.read.compacted}) up to
 * the head ({@link #sweeping}). A read that fails COMPACTED goes on with the compacted state from
 * the node offset when {@code offset + 1 >= tombstone_horizon} (no delete it needs is gone; {@link
 * #onCompacted}); otherwise, or when a report says {@code rebuild_required}, every cache of the
 * node is rebuilt from the compacted oplog and the node sweeps again from 0 ({@link
 * #rebuildAfterCompaction}): never a delete silently missed.
 *
 * <p>Event-loop confined, like the loop; logs under the loop's logger.
 */
final class CompactionRecovery {

  private static final Logger LOG = LoggerFactory.getLogger(SyncLoop.class);

  private static final String REGISTRY_SAYS_REBUILD = "the replica registry says rebuild_required";

  private final ReplicatorConfig config;
  private final ProgressTracker progress;
  private final ReplicaReporter reporter;
  private final CompactionRebuild rebuild;

  private final Runnable wake;

  /** Reading the compacted state ({@code emc.oplog.read.compacted}) until the head is reached. */
  private boolean sweeping;

  /** Set when the node must rebuild its caches from the compacted oplog: why. */
  private ReplicaReportReply rebuildPending;

  /** Why the pending rebuild is needed (for the log line and the status event). */
  private String rebuildReason;

  private boolean rebuilding;

  /** A rebuild after compaction waits for its caches to be swapped in. */
  private boolean waitingForRebuilds;

  /** Incremented by every finished rebuild after compaction: older report replies are stale. */
  private int rebuildGeneration;

  /**
   * @param wake runs a pass now (a report asked for a rebuild)
   * @param atZero the node offset was reset to 0 for a rebuild: the loop's position is 0
   */
  CompactionRecovery(
      Vertx vertx,
      ReplicatorConfig config,
      NodeOffsetStore offsets,
      EntityDirectory entities,
      ProgressTracker progress,
      CacheClient cache,
      ReplicaReporter reporter,
      Runnable wake,
      Runnable atZero) {
    this.config = config;
    this.progress = progress;
    this.reporter = reporter;
    this.wake = wake;
    this.rebuild =
        new CompactionRebuild(
            vertx,
            config,
            offsets,
            entities,
            progress,
            cache,
            reporter,
            () -> {
              atZero.run();
              reporter.offset(0);
              waitingForRebuilds = true;
            });
  }

  /** Whether a rebuild after compaction is pending or running. */
  boolean rebuildingAfterCompaction() {
    return rebuilding || rebuildPending != null;
  }

  /** Whether the next pass must rebuild before it reads. */
  boolean rebuildPending() {
    return rebuildPending != null;
  }

  /** Whether a rebuild after compaction waits for its caches to be swapped in. */
  boolean waitingForRebuilds() {
    return waitingForRebuilds;
  }

  /** Whether reads go to the compacted state ({@code emc.oplog.read.compacted}). */
  boolean sweeping() {
    return sweeping;
  }

  /** Plain reads from here (the sweep reached the head). */
  void stopSweeping() {
    sweeping = false;
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
    if (!reporter.offsetKnown()) {
      return Future.succeededFuture(reporter.lastReport());
    }
    int generation = rebuildGeneration;
    return reporter
        .reportApplied(this::rebuildingAfterCompaction)
        .onSuccess(
            r -> {
              if (r.rebuildRequired()
                  && !rebuildingAfterCompaction()
                  && generation == rebuildGeneration) {
                requestRebuild(r, REGISTRY_SAYS_REBUILD);
                wake.run();
              }
            });
  }

  /**
   * The position was re-read ({@code offset}, per entity what its cache holds): registers (or
   * refreshes) with the replica registry before the loop reads. A node at 0 with empty caches
   * bootstraps from the compacted state; a registry that says {@code rebuild_required}, or holds a
   * later offset than meta.sqlite (a lost or restored data dir under this node id), makes the next
   * pass rebuild — unless the data dir is empty, which registers a fresh bootstrap at 0.
   */
  Future<Void> register(long offset, JsonObject perEntity) {
    reporter.offset(offset);
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
    return reporter
        .report(rebuildPending != null ? 0 : offset, false)
        .compose(
            r -> {
              if (r.rebuildRequired()) {
                requestRebuild(r, REGISTRY_SAYS_REBUILD);
              } else if (r.appliedOffset() > offset && rebuildPending == null) {
                // the registry holds a later offset than meta.sqlite (a lost or restored
                // data dir under this node id): the horizon was held at the wrong place
                if (offset == 0 && empty) {
                  LOG.info(
                      "replicator {}: the replica registry holds offset {} for this node, whose data dir is empty: registering a fresh bootstrap at 0",
                      config.nodeId(),
                      r.appliedOffset());
                  return reporter.report(0, true).mapEmpty(); // a fresh bootstrap: register it
                }
                requestRebuild(
                    r,
                    "the replica registry holds offset "
                        + r.appliedOffset()
                        + ", above this node's "
                        + offset);
              }
              return Future.succeededFuture();
            });
  }

  /**
   * {@code emc.oplog.read} failed COMPACTED: the history after the node offset was compacted. With
   * the horizons of a report made now: {@code offset + 1 >= tombstone_horizon} and no {@code
   * rebuild_required} → no delete the node needs was removed, go on with the compacted state from
   * the offset; else rebuild.
   */
  Future<Outcome> onCompacted(long after) {
    return reporter
        .report(after, false)
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
                      ? REGISTRY_SAYS_REBUILD
                      : "the node offset is below the oplog's tombstone horizon");
              return rebuildAfterCompaction(after);
            });
  }

  private void requestRebuild(ReplicaReportReply why, String reason) {
    if (rebuildPending == null) {
      rebuildPending = why;
      rebuildReason = reason;
    }
  }

  /** Rebuilds every cache of the node from the compacted oplog ({@link CompactionRebuild}). */
  Future<Outcome> rebuildAfterCompaction(long after) {
    rebuilding = true;
    String reason = rebuildReason == null ? "rebuild required" : rebuildReason;
    return rebuild
        .run(after, rebuildPending, reason)
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
}
