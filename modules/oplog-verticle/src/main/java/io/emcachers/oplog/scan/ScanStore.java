package io.emcachers.oplog.scan;

import io.emcachers.core.messages.ScanStateReply;
import io.emcachers.oplog.support.PgErrors;
import io.emcachers.oplog.support.Statistics;
import io.emcachers.oplog.writer.OplogWriter;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowIterator;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.Optional;

/**
 * The SQL of the scan protocol: scan start ({@code scan_start:ENTITY} = {@code {"start_id", "epoch"}}),
 * scan progress ({@code scan_progress:ENTITY} = {@code {"last_id": {"v": ...}, "scanned": n, "epoch": e}}),
 * and the scan end's bounded chunks: proven deletes, then staged rows moved behind the scan rows.
 * Every chunk is its own short transaction on the writer (see {@link ScanManager}).
 */
public final class ScanStore {

  /**
   * One chunk of proven deletes: among the entity's rows with {@code $2 < id <= $3} (the history at
   * scan start, in id order, at most $4), every upsert that is still its document's latest row (no
   * later row of the entity: the scan did not upsert it again and nothing was streamed for it after
   * scan start) and that no staged row of the current epoch ($5) mentions, is a document gone from
   * the source: it gets a delete. Each document is judged at its latest row only, so re-running a
   * chunk emits nothing twice.
   */
  static final String ORPHAN_CHUNK_SQL = """
      WITH chunk AS MATERIALIZED (
        SELECT id, doc_id, op FROM oplog WHERE entity = $1 AND id > $2 AND id <= $3 ORDER BY id LIMIT $4
      ),
      orphans AS (
        SELECT c.id, c.doc_id FROM chunk c
        WHERE c.op = 'Upsert'
          AND NOT EXISTS (SELECT 1 FROM oplog o WHERE o.doc_id = c.doc_id AND o.entity = $1 AND o.id > c.id)
          AND NOT EXISTS (SELECT 1 FROM oplog_staging s WHERE s.doc_id = c.doc_id AND s.entity = $1 AND s.epoch = $5)
      ),
      ins AS (
        INSERT INTO oplog (op, entity, doc_id, data)
        SELECT 'Delete', $1, doc_id, NULL FROM orphans ORDER BY id
        RETURNING id
      )
      SELECT (SELECT count(*) FROM chunk) AS scanned,
             (SELECT coalesce(max(id), $2) FROM chunk) AS cursor,
             (SELECT count(*) FROM ins) AS deleted,
             (SELECT coalesce(max(id), 0) FROM ins) AS last_id
      """;

  /**
   * One chunk of the staged-rows move: takes the entity's $3 lowest-seq staged rows; those of the
   * current epoch ($2) go behind everything in the oplog in seq order, those of older epochs (an
   * abandoned attempt, an older shape) are discarded. $3 NULL: every staged row of the entity.
   */
  static final String MOVE_CHUNK_SQL = """
      WITH taken AS (
        DELETE FROM oplog_staging
        WHERE seq = ANY(ARRAY(SELECT seq FROM oplog_staging WHERE entity = $1 ORDER BY seq LIMIT $3))
        RETURNING seq, entity, op, doc_id, created_at, data, epoch
      ),
      ins AS (
        INSERT INTO oplog (op, entity, doc_id, created_at, data)
        SELECT op, entity, doc_id, created_at, data FROM taken WHERE epoch = $2 ORDER BY seq
        RETURNING id
      )
      SELECT (SELECT count(*) FROM taken) AS taken,
             (SELECT count(*) FROM ins) AS moved,
             (SELECT coalesce(max(id), 0) FROM ins) AS last_id,
             (SELECT coalesce(max(id), 0) FROM oplog) AS previous_head
      """;

  /** Result of a chunk: rows it looked at, rows it wrote, and the oplog head after it (0: none written). */
  public record Chunk(long scanned, long cursor, int written, long headId) {}

  /** Result of moving staged rows: rows moved and the oplog head after them. */
  public record Moved(int moved, long headId) {}

  /** Where a scan attempt started: the oplog head then, and the attempt's epoch. */
  public record Start(long startId, long epoch) {}

  private final Pool pool;

  public ScanStore(Pool pool) {
    this.pool = pool;
  }

  /** Fresh planner statistics of the tables a scan end walks (a bulk of staged rows may be minutes old). */
  public Future<Void> refreshStatistics() {
    return Statistics.refresh(pool, "oplog", "oplog_staging");
  }

  public static String progressKey(String entity) {
    return OplogWriter.SCAN_PROGRESS_PREFIX + entity;
  }

  /** Metadata key holding the oplog head at the moment the entity's current scan attempt began. */
  public static String startKey(String entity) {
    return "scan_start:" + entity;
  }

  /**
   * Inside the caller's transaction: the scan attempt {@code epoch} starts at the current oplog head.
   * A new attempt replaces an abandoned one's start ({@code replace}); a plain status change to
   * scanning keeps a start that exists.
   */
  public static Future<Void> recordStart(SqlConnection conn, String entity, long epoch, boolean replace) {
    return conn.preparedQuery("INSERT INTO metadata (key, value) SELECT $1, jsonb_build_object('start_id', coalesce(max(id), 0), 'epoch', $2::bigint)"
            + " FROM oplog ON CONFLICT (key) DO " + (replace ? "UPDATE SET value = EXCLUDED.value" : "NOTHING"))
        .execute(Tuple.of(startKey(entity), epoch)).mapEmpty();
  }

  /** The entity's scan start, when one is recorded. */
  public static Future<Optional<Start>> start(SqlClient client, String entity) {
    return client.preparedQuery("SELECT (value->>'start_id')::bigint AS start_id, coalesce((value->>'epoch')::bigint, 0) AS epoch FROM metadata WHERE key = $1")
        .execute(Tuple.of(startKey(entity)))
        .map(rows -> {
          RowIterator<Row> it = rows.iterator();
          if (!it.hasNext()) {
            return Optional.empty();
          }
          Row row = it.next();
          return Optional.of(new Start(row.getLong("start_id"), row.getLong("epoch")));
        });
  }

  /** Inside the caller's transaction: one chunk of proven deletes after {@code afterId}, up to {@code startId}. */
  public static Future<Chunk> orphanChunk(SqlConnection conn, String entity, long afterId, long startId, long epoch, int limit) {
    return conn.preparedQuery(ORPHAN_CHUNK_SQL).execute(Tuple.of(entity, afterId, startId, limit, epoch)).map(rows -> {
      Row row = rows.iterator().next();
      return new Chunk(row.getLong("scanned"), row.getLong("cursor"), (int) (long) row.getLong("deleted"), row.getLong("last_id"));
    });
  }

  /** Inside the caller's transaction: moves (or discards, when stale) at most {@code limit} staged rows; null: all. */
  public static Future<Chunk> moveChunk(SqlConnection conn, String entity, long epoch, Integer limit) {
    return conn.preparedQuery(MOVE_CHUNK_SQL).execute(Tuple.of(entity, epoch, limit)).map(rows -> {
      Row row = rows.iterator().next();
      int moved = (int) (long) row.getLong("moved");
      long head = moved > 0 ? Math.max(row.getLong("previous_head"), row.getLong("last_id")) : 0;
      return new Chunk(row.getLong("taken"), 0, moved, head);
    });
  }

  /** {@code emc.oplog.scan.state}: the stored progress (of attempt {@code epoch} when > 0), or (entity, null, 0) when none. */
  public Future<ScanStateReply> state(String entity, long epoch) {
    return pool.preparedQuery("SELECT value::text AS value FROM metadata WHERE key = $1")
        .execute(Tuple.of(progressKey(entity)))
        .map(rows -> {
          RowIterator<Row> it = rows.iterator();
          if (!it.hasNext()) {
            return new ScanStateReply(entity, null, 0L);
          }
          JsonObject value = new JsonObject(it.next().getString("value"));
          if (epoch > 0 && value.getLong("epoch", 0L) != epoch) {
            return new ScanStateReply(entity, null, 0L);
          }
          Object lastId = value.getValue("last_id");
          return new ScanStateReply(entity, lastId instanceof JsonObject o ? o : null, value.getLong("scanned", 0L));
        })
        .recover(e -> Future.failedFuture(PgErrors.toBus("read scan state", e)));
  }

  /**
   * Inside the caller's transaction on the writer connection: moves every remaining staged row of the
   * entity's epoch into the oplog (behind the scan rows, original order; older epochs' rows are
   * discarded) and deletes its scan progress and start.
   */
  public static Future<Moved> moveStaged(SqlConnection conn, String entity, long epoch) {
    return moveChunk(conn, entity, epoch, null)
        .compose(c -> deleteProgress(conn, entity).map(v -> new Moved(c.written(), c.headId())));
  }

  /** Inside the caller's transaction: forgets the entity's scan progress and scan start. */
  public static Future<Void> deleteProgress(SqlConnection conn, String entity) {
    return conn.preparedQuery("DELETE FROM metadata WHERE key = $1 OR key = $2").execute(Tuple.of(progressKey(entity), startKey(entity))).mapEmpty();
  }
}
