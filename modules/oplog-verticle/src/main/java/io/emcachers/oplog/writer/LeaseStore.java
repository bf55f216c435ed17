package io.emcachers.oplog.writer;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

/**
 * The statements of the {@code leader_lease} table (schema V5). Claim and renew run only on the
 * session that holds the advisory lock; inspect and terminate run on a standby's session.
 */
final class LeaseStore {

  /**
   * What a standby sees of the lease: the lock holder's backend pid from {@code pg_locks} (0: the
   * lock is free), the lease row (epoch 0: no row), and whether the lease has expired by the
   * server's clock.
   */
  record View(
      int holderPid, long epoch, String nodeId, int leasePid, boolean expired, long expiresInMs) {

    /** The holder is the session that claimed the lease, and its lease has passed. */
    boolean holderIsExpiredLeaseholder() {
      return holderPid != 0 && epoch > 0 && holderPid == leasePid && expired;
    }
  }

  private static final String CLAIM =
      """
      INSERT INTO leader_lease (lock_key, epoch, node_id, backend_pid, acquired_at, renewed_at, expires_at)
      VALUES ($1, 1, $2, pg_backend_pid(), now(), now(), now() + $3::double precision * interval '1 millisecond')
      ON CONFLICT (lock_key) DO UPDATE
         SET epoch = leader_lease.epoch + 1, node_id = EXCLUDED.node_id,
             backend_pid = EXCLUDED.backend_pid, acquired_at = now(), renewed_at = now(),
             expires_at = EXCLUDED.expires_at
      RETURNING epoch""";

  private static final String RENEW =
      """
      UPDATE leader_lease SET renewed_at = now(), expires_at = now() + $3::double precision * interval '1 millisecond'
       WHERE lock_key = $1 AND epoch = $2 AND backend_pid = pg_backend_pid()""";

  // pg_locks shows a bigint advisory key as classid (high half), objid (low half), objsubid 1
  private static final String INSPECT =
      """
      SELECT (SELECT pid FROM pg_locks
               WHERE locktype = 'advisory' AND granted AND objsubid = 1
                 AND classid::bigint = ($1::bigint >> 32) & 4294967295
                 AND objid::bigint = $1::bigint & 4294967295
               LIMIT 1) AS holder,
             l.epoch, l.node_id, l.backend_pid, l.expires_at < now() AS expired,
             (extract(epoch FROM (l.expires_at - now())) * 1000)::bigint AS expires_in_ms
        FROM (SELECT 1) one LEFT JOIN leader_lease l ON l.lock_key = $1""";

  private static final String EPOCH = "SELECT epoch FROM leader_lease WHERE lock_key = $1";

  private LeaseStore() {}

  /** Starts a new term: epoch + 1 (1 for the first), this session's pid, expiring after ttl. */
  static Future<Long> claim(SqlConnection c, long key, String nodeId, long ttlMs) {
    return c.preparedQuery(CLAIM)
        .execute(Tuple.of(key, nodeId, (double) ttlMs))
        .map(rows -> rows.iterator().next().getLong(0));
  }

  /** Extends the term {@code epoch}; false when this session no longer holds that lease. */
  static Future<Boolean> renew(SqlConnection c, long key, long epoch, long ttlMs) {
    return c.preparedQuery(RENEW)
        .execute(Tuple.of(key, epoch, (double) ttlMs))
        .map(r -> r.rowCount() == 1);
  }

  static Future<View> inspect(SqlConnection c, long key) {
    return c.preparedQuery(INSPECT)
        .execute(Tuple.of(key))
        .map(
            rows -> {
              Row r = rows.iterator().next();
              Integer holder = r.getInteger("holder");
              Long epoch = r.getLong("epoch");
              Integer leasePid = r.getInteger("backend_pid");
              Boolean expired = r.getBoolean("expired");
              Long in = r.getLong("expires_in_ms");
              return new View(
                  holder == null ? 0 : holder,
                  epoch == null ? 0 : epoch,
                  r.getString("node_id"),
                  leasePid == null ? 0 : leasePid,
                  Boolean.TRUE.equals(expired),
                  in == null ? 0 : in);
            });
  }

  /** Ends backend {@code pid}, waiting up to {@code waitMs} for it to exit; true once gone. */
  static Future<Boolean> terminate(SqlConnection c, int pid, long waitMs) {
    return c.preparedQuery("SELECT pg_terminate_backend($1, $2)")
        .execute(Tuple.of(pid, waitMs))
        .map(rows -> Boolean.TRUE.equals(rows.iterator().next().getBoolean(0)));
  }

  /** The current term's epoch in the database (0: never claimed). */
  static Future<Long> epoch(SqlConnection c, long key) {
    return c.preparedQuery(EPOCH)
        .execute(Tuple.of(key))
        .map(rows -> rows.size() == 0 ? 0L : rows.iterator().next().getLong(0));
  }
}
