package io.emcachers.oplog.entities;

import io.emcachers.oplog.support.Statistics;
import io.emcachers.oplog.writer.Transactions;
import io.emcachers.oplog.writer.WriteQueue;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes a deleted entity's oplog and staged rows in chunks of at most {@code oplog.chunk_rows},
 * one short statement each on the writer, so a purge of millions of rows never holds the writer for
 * long. The delete transaction leaves a marker {@code purge:NAME} = {@code {"up_to": head at
 * delete, "epoch"}}; only rows up to it are purged (a re-created entity's rows are above it), the
 * marker goes when the purge is done, and the leader resumes unfinished purges ({@link
 * #resumePending()}).
 */
public final class EntityPurger {

  private static final Logger LOG = LoggerFactory.getLogger(EntityPurger.class);
  static final String MARKER_PREFIX = "purge:";

  private final WriteQueue queue;
  private final Pool pool;
  private final int chunkRows;
  private final Map<String, Future<Long>> running = new HashMap<>();

  public EntityPurger(WriteQueue queue, Pool pool, int chunkRows) {
    this.queue = queue;
    this.pool = pool;
    this.chunkRows = chunkRows;
  }

  /** Inside the delete transaction: marks the entity's rows up to the current head for purging. */
  public static Future<Void> mark(SqlConnection conn, String name, long epoch) {
    return conn.preparedQuery(
            "INSERT INTO metadata (key, value) SELECT $1, jsonb_build_object('up_to', coalesce(max(id), 0), 'epoch', $2::bigint)"
                + " FROM oplog ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value")
        .execute(Tuple.of(MARKER_PREFIX + name, epoch))
        .mapEmpty();
  }

  /**
   * Purges what the entity's marker covers (nothing when there is none); joins a purge already
   * running.
   */
  public Future<Long> purge(String name) {
    Future<Long> current = running.get(name);
    if (current != null) {
      return current;
    }
    Promise<Long> promise = Promise.promise();
    running.put(name, promise.future());
    queue
        .<Row>submit(
            "purge marker of " + name,
            conn ->
                conn.preparedQuery(
                        "SELECT (value->>'up_to')::bigint AS up_to, (value->>'epoch')::bigint AS epoch FROM metadata WHERE key = $1")
                    .execute(Tuple.of(MARKER_PREFIX + name))
                    .map(rows -> rows.iterator().hasNext() ? rows.iterator().next() : null))
        .compose(
            marker -> {
              if (marker == null) {
                return Future.succeededFuture(0L);
              }
              long upTo = marker.getLong("up_to");
              long epoch = marker.getLong("epoch");
              return Statistics.refresh(pool, "oplog", "oplog_staging")
                  .compose(
                      v ->
                          chunks(
                                  name,
                                  "DELETE FROM oplog WHERE id = ANY(ARRAY(SELECT id FROM oplog WHERE entity = $1 AND id <= $2 ORDER BY id LIMIT $3))",
                                  upTo,
                                  0)
                              .compose(
                                  oplogRows ->
                                      chunks(
                                              name,
                                              "DELETE FROM oplog_staging WHERE seq = ANY(ARRAY(SELECT seq FROM oplog_staging WHERE entity = $1 AND epoch <= $2 ORDER BY seq LIMIT $3))",
                                              epoch,
                                              0)
                                          .map(staged -> oplogRows + staged)))
                  .compose(
                      total ->
                          queue
                              .submit(
                                  "purge done of " + name,
                                  conn ->
                                      conn.preparedQuery("DELETE FROM metadata WHERE key = $1")
                                          .execute(Tuple.of(MARKER_PREFIX + name)))
                              .map(total));
            })
        .onComplete(
            ar -> {
              running.remove(name);
              if (ar.succeeded() && ar.result() > 0) {
                LOG.info("entity {}: purged {} row(s) of the deleted entity", name, ar.result());
              } else if (ar.failed()) {
                LOG.warn(
                    "entity {}: purge interrupted ({}); it resumes with the next entity refresh",
                    name,
                    ar.cause().toString());
              }
              promise.handle(ar);
            });
    return promise.future();
  }

  private Future<Long> chunks(String name, String sql, long bound, long done) {
    return queue
        .submit(
            "purge of " + name,
            conn ->
                Transactions.inChunkTransaction(
                    conn,
                    c ->
                        c.preparedQuery(sql)
                            .execute(Tuple.of(name, bound, chunkRows))
                            .map(r -> r.rowCount())))
        .compose(
            n ->
                n < chunkRows
                    ? Future.succeededFuture(done + n)
                    : chunks(name, sql, bound, done + n));
  }

  /** Resumes every purge a previous leader left unfinished. */
  public Future<Integer> resumePending() {
    return queue
        .<List<String>>submit(
            "pending purges",
            conn ->
                conn.preparedQuery("SELECT key FROM metadata WHERE key LIKE 'purge:%'")
                    .execute()
                    .map(
                        rows -> {
                          List<String> names = new ArrayList<>();
                          rows.forEach(
                              r -> names.add(r.getString("key").substring(MARKER_PREFIX.length())));
                          return names;
                        }))
        .compose(
            names -> {
              List<Future<Long>> all = new ArrayList<>();
              names.forEach(n -> all.add(purge(n)));
              return Future.join(all).map(names.size());
            });
  }
}
