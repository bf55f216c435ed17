package io.emcachers.oplog.compaction;

import io.emcachers.core.messages.CompactionReply;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Cursor;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * The SQL of compaction. State in {@code metadata}: {@code compaction} = {@code {"compacted_below",
 * "tombstone_horizon", "compaction_horizon", "last_run"}} and {@code compaction_marks} = {@code
 * [[epoch_ms, head_id], ...]} (the committed head at each run: maps "now - retain_history_ms" to an
 * oplog id without an index on {@code created_at}, whose values are not monotonic in id anyway).
 */
public final class CompactionStore {

  public static final String STATE_KEY = "compaction";
  static final String MARKS_KEY = "compaction_marks";

  /** The compacted-below bound, as a scalar sub-select for reads (0: never compacted). */
  public static final String COMPACTED_BELOW_SQL =
      "coalesce((SELECT (value->>'compacted_below')::bigint FROM metadata WHERE key = 'compaction'), 0)";

  static final String TOMBSTONE_HORIZON_SQL =
      "coalesce((SELECT (value->>'tombstone_horizon')::bigint FROM metadata WHERE key = 'compaction'), 0)";

  /** Live replicas ($1 = replica_expiry_ms): seen within the expiry and not waiting to rebuild. */
  static final String SLOWEST_LIVE_SQL =
      "(SELECT min(applied_offset) + 1 FROM replicas WHERE NOT rebuild_required"
          + " AND last_seen >= now() - $1::bigint * interval '1 millisecond')";

  /**
   * The doomed rows, read once per run on the pool: rows below H ($1) that a later row of the same
   * (entity, doc_id) supersedes, then deletes below T ($2) that no later row of the document
   * follows. The last id of every document comes from one hash aggregate over the table, joined
   * back by hash (no doc-id index needed): about a third of the CPU of the window function over
   * (entity, doc_id, id) it replaces, which had to sort every row of the table by its text keys.
   * The ids come as one array per delete chunk of at most $3 ids (numbered in id order within each
   * kind), superseded chunks first, so every tombstone is removed after the older rows of its
   * document; the node decodes a few hundred rows per run instead of one per doomed id.
   */
  static final String DOOMED_SQL =
      """
      SELECT tombstone, array_agg(id) AS ids
      FROM (
        SELECT o.id, o.id = m.last_id AS tombstone,
               (row_number() OVER (PARTITION BY o.id = m.last_id ORDER BY o.id) - 1) / $3 AS chunk
        FROM oplog o
        JOIN (SELECT entity, doc_id, max(id) AS last_id FROM oplog GROUP BY entity, doc_id) m
          USING (entity, doc_id)
        WHERE o.id < $1 AND (o.id < m.last_id OR (o.op = 'Delete' AND o.id < $2))
      ) d
      GROUP BY tombstone, chunk
      ORDER BY tombstone, chunk
      """;

  /** Chunk rows (arrays of up to {@code chunk_rows} ids) the candidate cursor fetches per read. */
  static final int CHUNKS_PER_READ = 4;

  static final String DELETE_SUPERSEDED_SQL = "DELETE FROM oplog WHERE id = ANY($1::bigint[])";

  /**
   * Tombstones of one chunk; the bound is re-checked against the live replicas in the chunk's own
   * transaction ($2 = T of the run, $3 = replica_expiry_ms): a replica that registered since the
   * run began holds it back too. The current head row is never removed, so {@code max(id)} (the
   * head every read reply reports) never moves back.
   */
  static final String DELETE_TOMBSTONES_SQL =
      "DELETE FROM oplog WHERE id = ANY($2::bigint[]) AND id < least($3::bigint, "
          + SLOWEST_LIVE_SQL
          + ", (SELECT max(id) FROM oplog))";

  /** The stored horizons. */
  public record State(
      long compactedBelow, long tombstoneHorizon, long compactionHorizon, CompactionReply lastRun) {
    static final State NONE = new State(0, 0, 0, null);
  }

  private final Pool pool;

  public CompactionStore(Pool pool) {
    this.pool = pool;
  }

  public static Future<State> state(SqlClient client) {
    return client
        .preparedQuery("SELECT value::text AS v FROM metadata WHERE key = $1")
        .execute(Tuple.of(STATE_KEY))
        .map(
            rows -> {
              if (!rows.iterator().hasNext()) {
                return State.NONE;
              }
              JsonObject v = new JsonObject(rows.iterator().next().getString("v"));
              JsonObject last = v.getJsonObject("last_run");
              return new State(
                  v.getLong("compacted_below", 0L),
                  v.getLong("tombstone_horizon", 0L),
                  v.getLong("compaction_horizon", 0L),
                  last == null ? null : CompactionReply.fromJson(last));
            });
  }

  /**
   * On the writer: records the committed head now as a mark and returns H, one above the highest
   * head marked at least {@code retainMs} ago (0: no mark that old yet). Marks older than the one
   * chosen are pruned.
   */
  static Future<Long> markAndHorizon(SqlConnection conn, long retainMs) {
    return conn.query(
            "SELECT coalesce(max(id), 0) AS head, (extract(epoch FROM now()) * 1000)::bigint AS now_ms,"
                + " (SELECT value::text FROM metadata WHERE key = '"
                + MARKS_KEY
                + "') AS marks FROM oplog")
        .execute()
        .compose(
            rows -> {
              Row row = rows.iterator().next();
              long head = row.getLong("head");
              long now = row.getLong("now_ms");
              String raw = row.getString("marks");
              JsonArray marks = raw == null ? new JsonArray() : new JsonArray(raw);
              marks.add(new JsonArray().add(now).add(head));
              long chosenHead = -1;
              int chosenIndex = -1;
              for (int i = 0; i < marks.size(); i++) {
                JsonArray m = marks.getJsonArray(i);
                if (m.getLong(0) <= now - retainMs && m.getLong(1) >= chosenHead) {
                  chosenHead = m.getLong(1);
                  chosenIndex = i;
                }
              }
              JsonArray kept = new JsonArray();
              for (int i = Math.max(0, chosenIndex); i < marks.size(); i++) {
                kept.add(marks.getJsonArray(i));
              }
              long horizon = chosenHead < 0 ? 0 : chosenHead + 1;
              return conn.preparedQuery(
                      "INSERT INTO metadata (key, value) VALUES ($1, $2::text::jsonb)"
                          + " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value")
                  .execute(Tuple.of(MARKS_KEY, kept.encode()))
                  .map(horizon);
            });
  }

  /** T for H: below the slowest live replica's next row, H when no replica is live. */
  Future<Long> tombstoneHorizon(long compactionHorizon, long replicaExpiryMs) {
    return pool.preparedQuery("SELECT " + SLOWEST_LIVE_SQL + " AS t")
        .execute(Tuple.of(replicaExpiryMs))
        .map(
            rows -> {
              Long t = rows.iterator().next().getLong("t");
              return t == null ? compactionHorizon : Math.min(compactionHorizon, t);
            });
  }

  /**
   * On the writer, before the run's first delete: raises {@code compacted_below} to H and the
   * stored tombstone horizon to T (never lowers them), and flags every replica that T passes while
   * it is not live: deletes it has not applied may go, so it must rebuild.
   */
  static Future<Integer> raiseHorizons(
      SqlConnection conn, long compactionHorizon, long tombstoneHorizon, long replicaExpiryMs) {
    return conn.preparedQuery(
            """
            INSERT INTO metadata (key, value)
            VALUES ($1, jsonb_build_object('compacted_below', $2::bigint, 'tombstone_horizon', $3::bigint, 'compaction_horizon', $2::bigint))
            ON CONFLICT (key) DO UPDATE SET value = metadata.value || jsonb_build_object(
              'compacted_below', greatest(coalesce((metadata.value->>'compacted_below')::bigint, 0), $2::bigint),
              'tombstone_horizon', greatest(coalesce((metadata.value->>'tombstone_horizon')::bigint, 0), $3::bigint),
              'compaction_horizon', $2::bigint)
            """)
        .execute(Tuple.of(STATE_KEY, compactionHorizon, tombstoneHorizon))
        .compose(
            v ->
                conn.preparedQuery(
                        "UPDATE replicas SET rebuild_required = true WHERE NOT rebuild_required"
                            + " AND last_seen < now() - $1::bigint * interval '1 millisecond'"
                            + " AND applied_offset + 1 < $2")
                    .execute(Tuple.of(replicaExpiryMs, tombstoneHorizon)))
        .map(rows -> rows.rowCount());
  }

  /** On the writer: the finished run, for stats on every node. */
  static Future<Void> recordRun(SqlConnection conn, CompactionReply run) {
    return conn.preparedQuery(
            "UPDATE metadata SET value = value || jsonb_build_object('last_run', $2::text::jsonb) WHERE key = $1")
        .execute(Tuple.of(STATE_KEY, run.toJson().encode()))
        .mapEmpty();
  }

  /** The doomed ids of one chunk, split by kind. */
  public record Doomed(long[] superseded, long[] tombstones) {
    int size() {
      return superseded.length + tombstones.length;
    }
  }

  /**
   * Doomed ids held in memory at most, by default, before the delete chunks start (8 bytes each: 32
   * MB): see {@link #doomed}.
   */
  public static final int DEFAULT_BUFFERED_IDS = 4_000_000;

  /**
   * Streams the doomed ids ({@link #DOOMED_SQL}), read in one repeatable-read snapshot on the pool,
   * {@code chunkRows} at a time to {@code sink}, one chunk after the other.
   *
   * <p>When the run has at most {@code bufferedIds} doomed rows (the usual case), they are all read
   * first and the snapshot is released before the first chunk is deleted. An open snapshot keeps
   * PostgreSQL from pruning any row version that dies while it is open, in every table of the
   * database: the stream append updates the {@code metadata} row of its resume token in every
   * batch, so while a run held its snapshot through all its delete chunks, the dead versions of
   * that row piled up (5,000 in one benchmark run: the table grew from 1 to 103 pages) and every
   * append walked them all (its buffer hits per call doubled). Above {@code bufferedIds} the rest
   * is read on behind the deletes of the buffered ones, in the same snapshot: memory stays bounded,
   * and such a run holds its snapshot as before.
   */
  public Future<Void> doomed(
      long compactionHorizon,
      long tombstoneHorizon,
      int chunkRows,
      int bufferedIds,
      int workMemMb,
      Function<Doomed, Future<Void>> sink) {
    List<Doomed> buffered = new ArrayList<>();
    boolean[] exhausted = {false};
    return pool.withTransaction(
            conn ->
                conn.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    .execute()
                    .compose(
                        v ->
                            workMemMb <= 0
                                ? Future.succeededFuture()
                                : conn.query("SET LOCAL work_mem = '" + workMemMb + "MB'")
                                    .execute())
                    // one core at most: parallel workers would take the cores the appends need
                    .compose(
                        v -> conn.query("SET LOCAL max_parallel_workers_per_gather = 0").execute())
                    .compose(v -> conn.prepare(DOOMED_SQL))
                    .compose(
                        ps -> {
                          Cursor cursor =
                              ps.cursor(
                                  Tuple.of(compactionHorizon, tombstoneHorizon, (long) chunkRows));
                          return buffer(cursor, bufferedIds, buffered, 0)
                              .compose(
                                  more -> {
                                    if (!more) {
                                      exhausted[0] = true;
                                      return Future.<Void>succeededFuture();
                                    }
                                    // more than fit in memory: delete what is buffered, then
                                    // read on in this snapshot
                                    return deliver(buffered, 0, sink)
                                        .compose(x -> drain(cursor, sink));
                                  })
                              .eventually(cursor::close);
                        }))
        // every doomed id is in memory and the snapshot is released: delete them now
        .compose(v -> exhausted[0] ? deliver(buffered, 0, sink) : Future.succeededFuture());
  }

  /**
   * Reads chunks into {@code into} until the cursor ends (false) or {@code max} ids are held (true:
   * more may follow).
   */
  private static Future<Boolean> buffer(Cursor cursor, int max, List<Doomed> into, long held) {
    if (held > 0 && held >= max) {
      return Future.succeededFuture(cursor.hasMore());
    }
    return cursor
        .read(CHUNKS_PER_READ)
        .compose(
            rows -> {
              long more = 0;
              for (Row row : rows) {
                Doomed d = chunkOf(row);
                into.add(d);
                more += d.size();
              }
              return cursor.hasMore()
                  ? buffer(cursor, max, into, held + more)
                  : Future.succeededFuture(false);
            });
  }

  private static Future<Void> deliver(
      List<Doomed> chunks, int from, Function<Doomed, Future<Void>> sink) {
    if (from >= chunks.size()) {
      chunks.clear();
      return Future.succeededFuture();
    }
    Doomed d = chunks.get(from);
    chunks.set(from, null); // delivered: its ids may go
    return sink.apply(d).compose(v -> deliver(chunks, from + 1, sink));
  }

  /** One row of {@link #DOOMED_SQL}: a chunk of one kind, its ids in increasing order. */
  private static Doomed chunkOf(Row row) {
    Long[] boxed = row.getArrayOfLongs("ids");
    long[] ids = new long[boxed.length];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = boxed[i];
    }
    Arrays.sort(ids);
    return row.getBoolean("tombstone")
        ? new Doomed(new long[0], ids)
        : new Doomed(ids, new long[0]);
  }

  private static Future<Void> drain(Cursor cursor, Function<Doomed, Future<Void>> sink) {
    return cursor
        .read(1)
        .compose(
            rows -> {
              Future<Void> written = Future.succeededFuture();
              for (Row row : rows) {
                Doomed d = chunkOf(row);
                written = written.compose(v -> sink.apply(d));
              }
              return written.compose(
                  v -> cursor.hasMore() ? drain(cursor, sink) : Future.succeededFuture());
            });
  }

  /**
   * Inside a chunk transaction on the writer: removes one chunk; returns [superseded, tombstones].
   */
  static Future<long[]> deleteChunk(
      SqlConnection conn, Doomed chunk, long tombstoneHorizon, long replicaExpiryMs) {
    Future<Integer> superseded =
        chunk.superseded().length == 0
            ? Future.succeededFuture(0)
            : conn.preparedQuery(DELETE_SUPERSEDED_SQL)
                .execute(Tuple.of(boxed(chunk.superseded())))
                .map(r -> r.rowCount());
    return superseded.compose(
        s ->
            chunk.tombstones().length == 0
                ? Future.succeededFuture(new long[] {s, 0})
                : conn.preparedQuery(DELETE_TOMBSTONES_SQL)
                    .execute(Tuple.of(replicaExpiryMs, boxed(chunk.tombstones()), tombstoneHorizon))
                    .map(r -> new long[] {s, r.rowCount()}));
  }

  private static Long[] boxed(long[] ids) {
    Long[] out = new Long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = ids[i];
    }
    return out;
  }
}
