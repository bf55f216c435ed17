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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The SQL of the scan protocol: scan start ({@code scan_start:ENTITY} = {@code {"start_id",
 * "epoch"}}), scan progress ({@code scan_progress:ENTITY} = {@code {"last_id": {"v": ...},
 * "scanned": n, "epoch": e}}), and the scan end's bounded chunks: proven deletes, then staged rows
 * moved behind the scan rows. Every chunk is its own short transaction on the writer (see {@link
 * ScanManager}).
 */
public final class ScanStore {

  /**
   * The proven deletes of a re-scan, read on the pool in one snapshot (no index on {@code doc_id}
   * is needed, so appends pay for none): every document whose latest row at or below the scan start
   * ($2) is an upsert, that has no row after the start (the scan did not upsert it again, nothing
   * was streamed for it since) and that no staged row of the current epoch ($3) mentions, is gone
   * from the source. In {@code doc_id} order; each result row also carries the staging head of the
   * snapshot, so later chunks re-check only rows staged after it.
   */
  static final String ORPHAN_CANDIDATES_SQL =
      """
      WITH latest AS (
        SELECT DISTINCT ON (doc_id) doc_id, op FROM oplog WHERE entity = $1 AND id <= $2 ORDER BY doc_id, id DESC
      )
      SELECT l.doc_id FROM latest l
      WHERE l.op = 'Upsert'
        AND NOT EXISTS (SELECT 1 FROM oplog o WHERE o.entity = $1 AND o.id > $2 AND o.doc_id = l.doc_id)
        AND NOT EXISTS (SELECT 1 FROM oplog_staging s WHERE s.entity = $1 AND s.epoch = $3 AND s.doc_id = l.doc_id)
      ORDER BY l.doc_id
      """;

  /**
   * One chunk of proven deletes on the writer: the candidates ($2) that nothing was staged for
   * since the candidates' snapshot (staged seq > $4 of epoch $3) get a delete. While the entity is
   * scanning its streamed entries are staged, so no other oplog row of it can appear meanwhile;
   * when it is not ($5 false: a manual end of a live entity) upserts written since the snapshot
   * head ($6) count too.
   */
  static final String ORPHAN_INSERT_SQL =
      """
      INSERT INTO oplog (op, entity, doc_id, data)
      SELECT 'Delete', $1, c.doc_id, NULL FROM unnest($2::text[]) WITH ORDINALITY AS c(doc_id, ord)
      WHERE NOT EXISTS (SELECT 1 FROM oplog_staging s WHERE s.entity = $1 AND s.seq > $4 AND s.epoch = $3 AND s.doc_id = c.doc_id)
        AND ($5::boolean OR NOT EXISTS (SELECT 1 FROM oplog o WHERE o.entity = $1 AND o.id > $6 AND o.op = 'Upsert' AND o.doc_id = c.doc_id))
      ORDER BY c.ord
      RETURNING id
      """;

  /**
   * One chunk of the staged-rows move: takes the entity's $3 lowest-seq staged rows; those of the
   * current epoch ($2) go behind everything in the oplog in seq order, those of older epochs (an
   * abandoned attempt, an older shape) are discarded. $3 NULL: every staged row of the entity.
   */
  static final String MOVE_CHUNK_SQL =
      """
      WITH taken AS (
        DELETE FROM oplog_staging
        WHERE seq = ANY(ARRAY(SELECT seq FROM oplog_staging WHERE entity = $1 ORDER BY seq LIMIT $3))
        RETURNING seq, entity, op, doc_id, created_at, data, epoch, cluster_time
      ),
      ins AS (
        INSERT INTO oplog (op, entity, doc_id, created_at, data, cluster_time)
        SELECT op, entity, doc_id, created_at, data, cluster_time FROM taken WHERE epoch = $2 ORDER BY seq
        RETURNING id
      )
      SELECT (SELECT count(*) FROM taken) AS taken,
             (SELECT count(*) FROM ins) AS moved,
             (SELECT coalesce(max(id), 0) FROM ins) AS last_id,
             (SELECT coalesce(max(id), 0) FROM oplog) AS previous_head
      """;

  /**
   * Result of a chunk: rows it took, rows it wrote, and the oplog head after it (0: none written).
   */
  public record Chunk(long scanned, int written, long headId) {}

  /** Result of moving staged rows: rows moved and the oplog head after them. */
  public record Moved(int moved, long headId) {}

  /** Where a scan attempt started: the oplog head then, and the attempt's epoch. */
  public record Start(long startId, long epoch) {}

  private final Pool pool;

  public ScanStore(Pool pool) {
    this.pool = pool;
  }

  /**
   * Fresh planner statistics of the tables a scan end walks (a bulk of staged rows may be minutes
   * old).
   */
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
   * Inside the caller's transaction: the scan attempt {@code epoch} starts at the current oplog
   * head. A new attempt replaces an abandoned one's start ({@code replace}); a plain status change
   * to scanning keeps a start that exists.
   */
  public static Future<Void> recordStart(
      SqlConnection conn, String entity, long epoch, boolean replace) {
    return conn.preparedQuery(
            "INSERT INTO metadata (key, value) SELECT $1, jsonb_build_object('start_id', coalesce(max(id), 0), 'epoch', $2::bigint)"
                + " FROM oplog ON CONFLICT (key) DO "
                + (replace ? "UPDATE SET value = EXCLUDED.value" : "NOTHING"))
        .execute(Tuple.of(startKey(entity), epoch))
        .mapEmpty();
  }

  /** The entity's scan start, when one is recorded. */
  public static Future<Optional<Start>> start(SqlClient client, String entity) {
    return client
        .preparedQuery(
            "SELECT (value->>'start_id')::bigint AS start_id, coalesce((value->>'epoch')::bigint, 0) AS epoch FROM metadata WHERE key = $1")
        .execute(Tuple.of(startKey(entity)))
        .map(
            rows -> {
              RowIterator<Row> it = rows.iterator();
              if (!it.hasNext()) {
                return Optional.empty();
              }
              Row row = it.next();
              return Optional.of(new Start(row.getLong("start_id"), row.getLong("epoch")));
            });
  }

  /** Where the candidates' snapshot stood: the oplog head and the staging head. */
  public record Snapshot(long headId, long stagingSeq) {}

  /**
   * Streams the proven-delete candidates ({@link #ORPHAN_CANDIDATES_SQL}) from one repeatable-read
   * snapshot on the pool, {@code chunkRows} doc ids at a time, to {@code sink}, one chunk after the
   * other (memory stays bounded). Completes with the number of candidates.
   */
  public Future<Long> orphanCandidates(
      String entity,
      long startId,
      long epoch,
      int chunkRows,
      java.util.function.BiFunction<Snapshot, List<String>, Future<Void>> sink) {
    return pool.withTransaction(
        conn ->
            conn.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                .execute()
                .compose(
                    v ->
                        conn.query(
                                "SELECT (SELECT coalesce(max(id), 0) FROM oplog) AS head, (SELECT coalesce(max(seq), 0) FROM oplog_staging) AS seq")
                            .execute())
                .compose(
                    rows -> {
                      Row row = rows.iterator().next();
                      Snapshot snapshot = new Snapshot(row.getLong("head"), row.getLong("seq"));
                      return conn.prepare(ORPHAN_CANDIDATES_SQL)
                          .compose(
                              ps -> {
                                io.vertx.sqlclient.Cursor cursor =
                                    ps.cursor(Tuple.of(entity, startId, epoch));
                                return drain(cursor, snapshot, chunkRows, sink, 0)
                                    .eventually(cursor::close);
                              });
                    }));
  }

  private static Future<Long> drain(
      io.vertx.sqlclient.Cursor cursor,
      Snapshot snapshot,
      int chunkRows,
      java.util.function.BiFunction<Snapshot, List<String>, Future<Void>> sink,
      long done) {
    return cursor
        .read(chunkRows)
        .compose(
            rows -> {
              List<String> ids = new ArrayList<>(rows.size());
              rows.forEach(r -> ids.add(r.getString("doc_id")));
              Future<Void> written =
                  ids.isEmpty() ? Future.succeededFuture() : sink.apply(snapshot, ids);
              return written.compose(
                  v ->
                      cursor.hasMore()
                          ? drain(cursor, snapshot, chunkRows, sink, done + ids.size())
                          : Future.succeededFuture(done + ids.size()));
            });
  }

  /**
   * Inside the caller's transaction on the writer: one chunk of proven deletes (see {@link
   * #ORPHAN_INSERT_SQL}).
   */
  public static Future<Chunk> insertOrphans(
      SqlConnection conn,
      String entity,
      List<String> candidates,
      long epoch,
      Snapshot snapshot,
      boolean scanning) {
    return conn.preparedQuery(ORPHAN_INSERT_SQL)
        .execute(
            Tuple.of(
                entity,
                candidates.toArray(String[]::new),
                epoch,
                snapshot.stagingSeq(),
                scanning,
                snapshot.headId()))
        .map(
            rows -> {
              long last = 0;
              for (Row r : rows) {
                last = Math.max(last, r.getLong("id"));
              }
              return new Chunk(candidates.size(), rows.rowCount(), last);
            });
  }

  /**
   * Inside the caller's transaction: moves (or discards, when stale) at most {@code limit} staged
   * rows; null: all.
   */
  public static Future<Chunk> moveChunk(
      SqlConnection conn, String entity, long epoch, Integer limit) {
    return conn.preparedQuery(MOVE_CHUNK_SQL)
        .execute(Tuple.of(entity, epoch, limit))
        .map(
            rows -> {
              Row row = rows.iterator().next();
              int moved = (int) (long) row.getLong("moved");
              long head =
                  moved > 0 ? Math.max(row.getLong("previous_head"), row.getLong("last_id")) : 0;
              return new Chunk(row.getLong("taken"), moved, head);
            });
  }

  /**
   * {@code emc.oplog.scan.state}: the stored progress (of attempt {@code epoch} when > 0), or
   * (entity, null, 0) when none.
   */
  public Future<ScanStateReply> state(String entity, long epoch) {
    return pool.preparedQuery("SELECT value::text AS value FROM metadata WHERE key = $1")
        .execute(Tuple.of(progressKey(entity)))
        .map(
            rows -> {
              RowIterator<Row> it = rows.iterator();
              if (!it.hasNext()) {
                return new ScanStateReply(entity, null, 0L);
              }
              JsonObject value = new JsonObject(it.next().getString("value"));
              if (epoch > 0 && value.getLong("epoch", 0L) != epoch) {
                return new ScanStateReply(entity, null, 0L);
              }
              Object lastId = value.getValue("last_id");
              return new ScanStateReply(
                  entity, lastId instanceof JsonObject o ? o : null, value.getLong("scanned", 0L));
            })
        .recover(e -> Future.failedFuture(PgErrors.toBus("read scan state", e)));
  }

  /**
   * Inside the caller's transaction on the writer connection: moves every remaining staged row of
   * the entity's epoch into the oplog (behind the scan rows, original order; older epochs' rows are
   * discarded) and deletes its scan progress and start.
   */
  public static Future<Moved> moveStaged(SqlConnection conn, String entity, long epoch) {
    return moveChunk(conn, entity, epoch, null)
        .compose(c -> deleteProgress(conn, entity).map(v -> new Moved(c.written(), c.headId())));
  }

  /** Inside the caller's transaction: forgets the entity's scan progress and scan start. */
  public static Future<Void> deleteProgress(SqlConnection conn, String entity) {
    return conn.preparedQuery("DELETE FROM metadata WHERE key = $1 OR key = $2")
        .execute(Tuple.of(progressKey(entity), startKey(entity)))
        .mapEmpty();
  }
}
