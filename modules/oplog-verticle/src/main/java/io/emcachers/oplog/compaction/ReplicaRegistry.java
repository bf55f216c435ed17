package io.emcachers.oplog.compaction;

import io.emcachers.core.bus.BusException;
import io.emcachers.core.messages.ReplicaInfo;
import io.emcachers.core.messages.ReplicaListReply;
import io.emcachers.core.messages.ReplicaListRequest;
import io.emcachers.core.messages.ReplicaRemoveReply;
import io.emcachers.core.messages.ReplicaRemoveRequest;
import io.emcachers.core.messages.ReplicaReport;
import io.emcachers.core.messages.ReplicaReportReply;
import io.emcachers.oplog.support.PgErrors;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * The replica registry ({@code replicas}): {@code emc.oplog.replica.report}, {@code .list}, {@code
 * .remove}. Runs on the read pool, so every oplog node answers (a report is one upsert statement;
 * it does not need the single writer: compaction re-reads the registry in each tombstone chunk).
 */
public final class ReplicaRegistry {

  /**
   * One statement: upsert (offset never backwards unless {@code rebuilt} = $3; a pending rebuild
   * request stays until a rebuilt report), a node registering with an offset below the stored
   * tombstone horizon must rebuild; returns the stored values and the horizons.
   */
  static final String REPORT_SQL =
      """
      WITH m AS (SELECT %s AS cb, %s AS th),
      up AS (
        INSERT INTO replicas AS r (node_id, applied_offset, last_seen, rebuild_required)
        SELECT $1, $2, now(), (NOT $3 AND $2 > 0 AND $2 + 1 < m.th) FROM m
        ON CONFLICT (node_id) DO UPDATE SET
          applied_offset = CASE WHEN $3 THEN EXCLUDED.applied_offset
                                ELSE greatest(r.applied_offset, EXCLUDED.applied_offset) END,
          last_seen = now(),
          rebuild_required = CASE WHEN $3 THEN false ELSE r.rebuild_required END
        RETURNING applied_offset, rebuild_required
      )
      SELECT up.applied_offset, up.rebuild_required, m.cb, m.th FROM up, m
      """
          .formatted(CompactionStore.COMPACTED_BELOW_SQL, CompactionStore.TOMBSTONE_HORIZON_SQL);

  static final String LIST_SQL =
      """
      SELECT h.head, r.node_id, r.applied_offset, r.last_seen, r.registered_at, r.rebuild_required,
             r.last_seen >= now() - $1::bigint * interval '1 millisecond' AS live
      FROM (SELECT coalesce(max(id), 0) AS head FROM oplog) h
      LEFT JOIN replicas r ON true
      ORDER BY r.node_id
      """;

  private final Pool pool;
  private final long replicaExpiryMs;

  public ReplicaRegistry(Pool pool, long replicaExpiryMs) {
    this.pool = pool;
    this.replicaExpiryMs = replicaExpiryMs;
  }

  public Future<ReplicaReportReply> report(ReplicaReport request) {
    String node = requireNode(request == null ? null : request.nodeId());
    if (request.appliedOffset() < 0) {
      throw BusException.badRequest("applied_offset must be >= 0, got " + request.appliedOffset());
    }
    return pool.preparedQuery(REPORT_SQL)
        .execute(Tuple.of(node, request.appliedOffset(), request.rebuilt()))
        .map(
            rows -> {
              Row row = rows.iterator().next();
              return new ReplicaReportReply(
                  row.getLong("cb"),
                  row.getLong("th"),
                  row.getLong("applied_offset"),
                  row.getBoolean("rebuild_required"));
            })
        .recover(e -> Future.failedFuture(PgErrors.toBus("report replica " + node, e)));
  }

  public Future<ReplicaListReply> list(ReplicaListRequest request) {
    return list(pool).recover(e -> Future.failedFuture(PgErrors.toBus("list replicas", e)));
  }

  Future<ReplicaListReply> list(SqlClient client) {
    return client
        .preparedQuery(LIST_SQL)
        .execute(Tuple.of(replicaExpiryMs))
        .map(
            rows -> {
              long head = 0;
              List<ReplicaInfo> list = new ArrayList<>();
              for (Row r : rows) {
                head = r.getLong("head");
                if (r.getString("node_id") == null) {
                  continue;
                }
                long applied = r.getLong("applied_offset");
                list.add(
                    new ReplicaInfo(
                        r.getString("node_id"),
                        applied,
                        instant(r.getOffsetDateTime("last_seen")),
                        instant(r.getOffsetDateTime("registered_at")),
                        r.getBoolean("live"),
                        r.getBoolean("rebuild_required"),
                        Math.max(0, head - applied)));
              }
              return new ReplicaListReply(list, head);
            });
  }

  public Future<ReplicaRemoveReply> remove(ReplicaRemoveRequest request) {
    String node = requireNode(request == null ? null : request.nodeId());
    return pool.preparedQuery("DELETE FROM replicas WHERE node_id = $1")
        .execute(Tuple.of(node))
        .map(rows -> new ReplicaRemoveReply(node, rows.rowCount() > 0))
        .recover(e -> Future.failedFuture(PgErrors.toBus("remove replica " + node, e)));
  }

  private static java.time.Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }

  private static String requireNode(String node) {
    if (node == null || node.isBlank()) {
      throw BusException.badRequest("node_id is required");
    }
    if (node.indexOf('\0') >= 0) {
      throw BusException.badRequest("node_id must not contain NUL characters");
    }
    return node;
  }
}
