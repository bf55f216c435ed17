package io.emcachers.oplog.scan;

import io.emcachers.core.messages.ScanStateReply;
import io.emcachers.oplog.support.PgErrors;
import io.emcachers.oplog.writer.OplogWriter;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowIterator;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

/**
 * Scan progress ({@code scan_progress:ENTITY} = {@code {"last_id": {"v": ...}, "scanned": n}}) and
 * the move of an entity's staged rows into the oplog when its scan ends.
 */
public final class ScanStore {

  /** Moves the entity's staged rows behind everything in the oplog, in their original seq order. */
  static final String MOVE_STAGED_SQL = """
      WITH moved AS (
        DELETE FROM oplog_staging WHERE entity = $1 RETURNING seq, entity, op, doc_id, created_at, data
      ),
      ins AS (
        INSERT INTO oplog (op, entity, doc_id, created_at, data)
        SELECT op, entity, doc_id, created_at, data FROM moved ORDER BY seq
        RETURNING id
      )
      SELECT (SELECT count(*) FROM ins) AS moved,
             (SELECT coalesce(max(id), 0) FROM ins) AS last_id,
             (SELECT coalesce(max(id), 0) FROM oplog) AS previous_head
      """;

  /** Result of {@link #moveStaged}: rows moved and the oplog head after them. */
  public record Moved(int moved, long headId) {}

  private final Pool pool;

  public ScanStore(Pool pool) {
    this.pool = pool;
  }

  public static String progressKey(String entity) {
    return OplogWriter.SCAN_PROGRESS_PREFIX + entity;
  }

  /** {@code emc.oplog.scan.state}: the stored progress, or (entity, null, 0) when none. */
  public Future<ScanStateReply> state(String entity) {
    return pool.preparedQuery("SELECT value::text AS value FROM metadata WHERE key = $1")
        .execute(Tuple.of(progressKey(entity)))
        .map(rows -> {
          RowIterator<Row> it = rows.iterator();
          if (!it.hasNext()) {
            return new ScanStateReply(entity, null, 0L);
          }
          JsonObject value = new JsonObject(it.next().getString("value"));
          Object lastId = value.getValue("last_id");
          return new ScanStateReply(entity, lastId instanceof JsonObject o ? o : null, value.getLong("scanned", 0L));
        })
        .recover(e -> Future.failedFuture(PgErrors.toBus("read scan state", e)));
  }

  /**
   * Inside the caller's transaction on the writer connection: moves the entity's staged rows into
   * the oplog (behind the scan rows, original order) and deletes its scan progress.
   */
  public static Future<Moved> moveStaged(SqlConnection conn, String entity) {
    return conn.preparedQuery(MOVE_STAGED_SQL).execute(Tuple.of(entity)).compose(rows -> {
      Row row = rows.iterator().next();
      int moved = (int) (long) row.getLong("moved");
      long headId = Math.max(row.getLong("previous_head"), row.getLong("last_id"));
      return deleteProgress(conn, entity).map(v -> new Moved(moved, headId));
    });
  }

  /** Inside the caller's transaction: forgets the entity's scan progress. */
  public static Future<Void> deleteProgress(SqlConnection conn, String entity) {
    return conn.preparedQuery("DELETE FROM metadata WHERE key = $1").execute(Tuple.of(progressKey(entity))).mapEmpty();
  }
}
