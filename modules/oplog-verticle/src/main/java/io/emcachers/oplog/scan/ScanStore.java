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

  /**
   * A (re-)scan's deletes: documents whose latest row at scan start was an upsert, that the scan did
   * not upsert again and that no streamed (staged) entry mentions, are gone from the source — they
   * were deleted while history was unavailable or before the re-scan. Emitting their deletes makes
   * caches converge after a lost resume position, not only gain rows.
   */
  static final String ORPHAN_DELETES_SQL = """
      WITH prev AS (
        SELECT DISTINCT ON (doc_id) doc_id, op FROM oplog WHERE entity = $1 AND id <= $2 ORDER BY doc_id, id DESC
      ),
      seen AS (
        SELECT doc_id FROM oplog WHERE entity = $1 AND id > $2
        UNION
        SELECT doc_id FROM oplog_staging WHERE entity = $1
      ),
      ins AS (
        INSERT INTO oplog (op, entity, doc_id, data)
        SELECT 'Delete', $1, prev.doc_id, NULL
        FROM prev LEFT JOIN seen ON seen.doc_id = prev.doc_id
        WHERE prev.op = 'Upsert' AND seen.doc_id IS NULL
        ORDER BY prev.doc_id
        RETURNING id
      )
      SELECT count(*) AS deleted, coalesce(max(id), 0) AS last_id FROM ins
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

  /** Metadata key holding the oplog head at the moment the entity entered {@code scanning}. */
  public static String startKey(String entity) {
    return "scan_start:" + entity;
  }

  /**
   * Inside the caller's transaction: remembers the oplog head as this scan's start, unless a scan of
   * the entity already started (a restarted scan continues and keeps its original start).
   */
  public static Future<Void> recordStart(SqlConnection conn, String entity) {
    return conn.preparedQuery("INSERT INTO metadata (key, value) SELECT $1, jsonb_build_object('start_id', coalesce(max(id), 0)) FROM oplog"
            + " ON CONFLICT (key) DO NOTHING")
        .execute(Tuple.of(startKey(entity))).mapEmpty();
  }

  /**
   * Inside the caller's transaction, before the staged rows move: appends the deletes of documents
   * the scan proved gone (see {@link #ORPHAN_DELETES_SQL}) and forgets the scan start. Returns the
   * deletes appended and the last id written (0 when none).
   */
  public static Future<Moved> appendOrphanDeletes(SqlConnection conn, String entity) {
    return conn.preparedQuery("DELETE FROM metadata WHERE key = $1 RETURNING (value->>'start_id')::bigint AS start_id")
        .execute(Tuple.of(startKey(entity)))
        .compose(rows -> {
          RowIterator<Row> it = rows.iterator();
          if (!it.hasNext()) {
            return Future.succeededFuture(new Moved(0, 0));
          }
          long start = it.next().getLong("start_id");
          return conn.preparedQuery(ORPHAN_DELETES_SQL).execute(Tuple.of(entity, start)).map(r -> {
            Row row = r.iterator().next();
            return new Moved((int) (long) row.getLong("deleted"), row.getLong("last_id"));
          });
        });
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

  /** Inside the caller's transaction: forgets the entity's scan progress and scan start. */
  public static Future<Void> deleteProgress(SqlConnection conn, String entity) {
    return conn.preparedQuery("DELETE FROM metadata WHERE key = $1 OR key = $2").execute(Tuple.of(progressKey(entity), startKey(entity))).mapEmpty();
  }
}
