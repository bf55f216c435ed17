package io.emcachers.oplog;

import io.emcachers.core.bus.BusException;
import io.emcachers.core.messages.ClusterTimeReply;
import io.emcachers.core.messages.ClusterTimeRequest;
import io.emcachers.core.validation.EntityValidator;
import io.emcachers.oplog.support.PgErrors;
import io.emcachers.oplog.writer.OplogWriter;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowIterator;
import io.vertx.sqlclient.Tuple;

/**
 * {@code emc.oplog.cluster-time}: for read-your-writes, the entity's status, the committed
 * cluster-time high-water mark of the change stream that feeds it, and the oplog head, in one
 * statement (one snapshot). The stream is the entity's source collection's own stream, or the
 * database-level stream {@code _db} when that is the one with a stored mark (listener watch scope
 * {@code database}). Read pool: standbys answer too.
 */
final class ClusterTimes {

  /** The listener's name of the database-level stream ({@code ListenerConfig.DB_STREAM}). */
  static final String DB_STREAM = "_db";

  static final String SQL =
      """
      SELECT e.status, e.shape ->> 'source_name' AS source,
             (SELECT coalesce(max(id), 0) FROM oplog) AS head,
             (SELECT value::text FROM metadata WHERE key = '%s') AS marks
      FROM entities e WHERE e.name = $1
      """
          .formatted(OplogWriter.CLUSTER_TIME_KEY);

  private final Pool pool;

  ClusterTimes(Pool pool) {
    this.pool = pool;
  }

  Future<ClusterTimeReply> read(ClusterTimeRequest request) {
    String entity = request == null ? null : request.entity();
    if (!EntityValidator.isValidName(entity)) {
      throw BusException.badRequest("entity must be a valid entity name, got " + entity);
    }
    return pool.preparedQuery(SQL)
        .execute(Tuple.of(entity))
        .recover(e -> Future.failedFuture(PgErrors.toBus("read cluster time", e)))
        .map(
            rows -> {
              RowIterator<Row> it = rows.iterator();
              Row row = it.hasNext() ? it.next() : null;
              if (row == null || "deleted".equals(row.getString("status"))) {
                throw BusException.notFound("entity " + entity + " not found");
              }
              String text = row.getString("marks");
              JsonObject marks = text == null ? new JsonObject() : new JsonObject(text);
              String source = row.getString("source");
              String stream =
                  source != null && marks.containsKey(source)
                      ? source
                      : marks.containsKey(DB_STREAM) ? DB_STREAM : null;
              Long time = stream == null ? null : marks.getLong(stream);
              return new ClusterTimeReply(
                  entity, row.getString("status"), stream, time, row.getLong("head"));
            });
  }
}
