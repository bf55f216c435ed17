package io.emcachers.replicator;

import io.emcachers.core.client.CacheClient;
import io.emcachers.core.client.OplogClient;
import io.emcachers.core.messages.ReplicaReportReply;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.function.BooleanSupplier;

/**
 * The node's side of the oplog's replica registry ({@code emc.oplog.replica.report}): which offset
 * this node reports, and the last reply. The registry holds the tombstone horizon behind the lowest
 * reported offset, so what is reported must never be above what the node's caches could still need:
 * 0 while a rebuild after compaction is pending or running, otherwise the node offset lowered to
 * the {@code read_through} of any cache rebuild running on this node. Event-loop confined; the
 * decisions on a reply are {@link CompactionRecovery}'s.
 */
final class ReplicaReporter {

  /** How long the report job waits for the cache-db manager's health (running rebuilds). */
  private static final long HEALTH_TIMEOUT_MS = 5000;

  private final OplogClient oplog;
  private final CacheClient cache;
  private final String nodeId;

  /** The last known node offset (reported to the replica registry); -1 before the first. */
  private long lastOffset = -1;

  /** The last reply of the replica registry (null before the first report). */
  private ReplicaReportReply lastReport;

  ReplicaReporter(OplogClient oplog, CacheClient cache, String nodeId) {
    this.oplog = oplog;
    this.cache = cache;
    this.nodeId = nodeId;
  }

  /** The last reply of the replica registry, or null. */
  ReplicaReportReply lastReport() {
    return lastReport;
  }

  /** Whether the node offset is known (the position was established at least once). */
  boolean offsetKnown() {
    return lastOffset >= 0;
  }

  /** The node offset is now {@code offset} (recovered, committed or reset). */
  void offset(long offset) {
    lastOffset = offset;
  }

  /** Reports {@code offset} as is ({@code rebuilt}: the registry may lower its stored offset). */
  Future<ReplicaReportReply> report(long offset, boolean rebuilt) {
    return oplog.reportReplica(nodeId, offset, rebuilt).onSuccess(r -> lastReport = r);
  }

  /**
   * Reports the node's applied offset once it is known ({@link #offsetKnown}): 0 while {@code
   * rebuildingAfterCompaction}, else the node offset lowered to the running cache rebuilds.
   */
  Future<ReplicaReportReply> reportApplied(BooleanSupplier rebuildingAfterCompaction) {
    long nodeOffset = lastOffset;
    Future<Long> offset =
        rebuildingAfterCompaction.getAsBoolean()
            ? Future.succeededFuture(0L)
            : cache
                .health(HEALTH_TIMEOUT_MS)
                .map(h -> Math.min(nodeOffset, lowestRebuildPosition(h.details())))
                .otherwise(nodeOffset);
    return offset.compose(
        o ->
            report(o, false)
                .compose(
                    r ->
                        // the registry never lowers an offset unless told rebuilt: a cache
                        // rebuild runs below the stored offset, move it back (after the
                        // plain report, so a rebuild_required is seen, not cleared)
                        !r.rebuildRequired()
                                && !rebuildingAfterCompaction.getAsBoolean()
                                && o < nodeOffset
                                && o < r.appliedOffset()
                            ? report(o, true)
                            : Future.succeededFuture(r)));
  }

  /** The lowest {@code read_through} of the running cache rebuilds, Long.MAX_VALUE when none. */
  static long lowestRebuildPosition(JsonObject cacheHealth) {
    long lowest = Long.MAX_VALUE;
    JsonArray jobs = cacheHealth == null ? null : cacheHealth.getJsonArray("rebuilds");
    if (jobs != null) {
      for (Object o : jobs) {
        if (o instanceof JsonObject j
            && ("started".equals(j.getString("state"))
                || "rebuilding".equals(j.getString("state")))) {
          lowest = Math.min(lowest, j.getLong("read_through", 0L));
        }
      }
    }
    return lowest;
  }
}
