package io.emcachers.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What the oplog (PostgreSQL) and the cache say about a {@link StreamingStage} step's changes: each
 * change's latency split at the oplog row that carried it, and the changes that never showed. Reads
 * the oplog rows of the stream entity past the last one an earlier step read.
 */
final class StreamingHops {

  private final String pgJdbcUrl;
  private final String table;
  private final int docs;
  private final CacheProbe probe;
  private long lastPgId;

  /**
   * epoch nanoseconds − System.nanoTime(), to place write times on the wall clock PostgreSQL's
   * now() uses.
   */
  private final long wallOffset;

  StreamingHops(String pgJdbcUrl, String table, int docs, CacheProbe probe) {
    this.pgJdbcUrl = pgJdbcUrl;
    Instant now = Clock.systemUTC().instant();
    this.wallOffset = now.getEpochSecond() * 1_000_000_000L + now.getNano() - System.nanoTime();
    this.table = table;
    this.docs = docs;
    this.probe = probe;
  }

  /** Up to 10 changes never seen, with what the cache and the oplog hold for their document now. */
  JsonArray unseen(long seq0, int n, AtomicLongArray written, long[] visible, long firstWrite) {
    JsonArray out = new JsonArray();
    for (int j = 0; j < n && out.size() < 10; j++) {
      if (visible[j] != 0) {
        continue;
      }
      long s = seq0 + j;
      String doc = Docs.streamDocId(s % docs);
      JsonObject o =
          new JsonObject()
              .put("seq", s)
              .put("doc", doc)
              .put("written_ms_after_start", (written.get(j) - firstWrite) / 1_000_000);
      Connection c = probe.connection();
      if (c != null) {
        try (PreparedStatement ps =
            c.prepareStatement("SELECT seq, _oplog_id FROM \"" + table + "\" WHERE _doc_id = ?")) {
          ps.setString(1, doc);
          try (ResultSet rs = ps.executeQuery()) {
            if (rs.next()) {
              o.put("cache_seq_now", rs.getLong(1)).put("cache_oplog_id_now", rs.getLong(2));
            }
          }
        } catch (SQLException e) {
          o.put("cache_error", e.toString());
        }
      }
      try (Connection pg = DriverManager.getConnection(pgJdbcUrl);
          PreparedStatement ps =
              pg.prepareStatement(
                  "SELECT count(*) FILTER (WHERE (data->>'seq')::bigint >= ?), max(id) FROM oplog WHERE entity = ? AND doc_id = ?")) {
        ps.setLong(1, s);
        ps.setString(2, table);
        ps.setString(3, doc);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            o.put("oplog_rows_with_seq_at_least", rs.getLong(1))
                .put("oplog_last_id_of_doc", rs.getLong(2));
          }
        }
      } catch (SQLException e) {
        o.put("oplog_error", e.toString());
      }
      out.add(o);
    }
    return out;
  }

  /**
   * Splits each change's latency at the oplog row that carried it: {@code created_at} is
   * PostgreSQL's {@code now()}, the start of the writer's transaction. Source write → that moment
   * covers the change stream, the listener's batching and the append request; from there to visible
   * covers the insert and commit, the replicator's read, the cache's apply and commit, and this
   * poller. An update event carries the document as looked up, so a change overwritten before its
   * event was read does not appear; those are left out.
   */
  JsonObject hops(long seq0, int n, AtomicLongArray written, long[] visible) {
    long[] first = new long[n];
    long[] second = new long[n];
    int m = 0;
    boolean[] seen = new boolean[n];
    try (Connection pg = DriverManager.getConnection(pgJdbcUrl);
        PreparedStatement ps =
            pg.prepareStatement(
                "SELECT id, (extract(epoch from created_at) * 1000000)::bigint, (data->>'seq')::bigint"
                    + " FROM oplog WHERE entity = ? AND id > ? ORDER BY id")) {
      ps.setString(1, table);
      ps.setLong(2, lastPgId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          lastPgId = rs.getLong(1);
          long createdNanos = rs.getLong(2) * 1000;
          long s = rs.getLong(3);
          int j = (int) (s - seq0);
          if (rs.wasNull() || j < 0 || j >= n || seen[j] || visible[j] == 0) {
            continue;
          }
          seen[j] = true;
          long created = createdNanos - wallOffset; // on the nanoTime scale
          first[m] = Math.max(0, created - written.get(j));
          second[m] = Math.max(0, visible[j] - created);
          m++;
        }
      }
    } catch (SQLException e) {
      return new JsonObject().put("error", e.toString());
    }
    return new JsonObject()
        .put("matched_changes", m)
        .put(
            "source_write_to_oplog_tx_start",
            new Percentiles(Arrays.copyOf(first, m))
                .toJson()
                .put(
                    "what",
                    "change stream + listener batching + append request, until the oplog writer's transaction starts"))
        .put(
            "oplog_tx_start_to_visible",
            new Percentiles(Arrays.copyOf(second, m))
                .toJson()
                .put(
                    "what",
                    "oplog insert + commit, replicator wake-up and read, cache apply + commit, seen by the SQLite poller"));
  }
}
