package io.emcachers.oplog;

import io.emcachers.core.messages.ResumeTokenReply;
import io.emcachers.core.messages.ResumeTokenRequest;
import io.emcachers.oplog.support.PgErrors;
import io.emcachers.oplog.writer.OplogWriter;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowIterator;
import io.vertx.sqlclient.Tuple;

/**
 * Reads the committed resume positions (metadata {@code mongo_resume_token}: stream name → token).
 * They are written by {@link OplogWriter} in the same statement as the rows they cover.
 */
final class ResumeTokenStore {

  private final Pool pool;

  public ResumeTokenStore(Pool pool) {
    this.pool = pool;
  }

  /**
   * {@code emc.oplog.resume-token}: the whole map, empty when no stream ever committed a position.
   */
  public Future<ResumeTokenReply> read(ResumeTokenRequest request) {
    return pool.preparedQuery("SELECT value::text AS value FROM metadata WHERE key = $1")
        .execute(Tuple.of(OplogWriter.RESUME_TOKEN_KEY))
        .map(
            rows -> {
              RowIterator<Row> it = rows.iterator();
              String text = it.hasNext() ? it.next().getString("value") : null;
              return new ResumeTokenReply(text == null ? new JsonObject() : new JsonObject(text));
            })
        .recover(e -> Future.failedFuture(PgErrors.toBus("read resume token", e)));
  }
}
