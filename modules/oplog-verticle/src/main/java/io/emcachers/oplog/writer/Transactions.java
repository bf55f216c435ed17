package io.emcachers.oplog.writer;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import java.util.function.Function;

/** Runs several statements on the writer connection as one transaction. */
public final class Transactions {

  private Transactions() {}

  /**
   * BEGIN, {@code work}, COMMIT; ROLLBACK (best effort) and the original failure when anything
   * fails.
   */
  public static <T> Future<T> inTransaction(
      SqlConnection conn, Function<SqlConnection, Future<T>> work) {
    return conn.begin()
        .compose(
            tx -> {
              Future<T> result;
              try {
                result = work.apply(conn);
              } catch (RuntimeException e) {
                result = Future.failedFuture(e);
              }
              return result.compose(
                  value -> tx.commit().map(value),
                  error -> rollbackQuietly(tx).compose(v -> Future.failedFuture(error)));
            });
  }

  /**
   * A transaction of one chunk of a long write. Its statements are planned for their actual bounds
   * ({@code plan_cache_mode = force_custom_plan}, local to the transaction): the connection caches
   * prepared statements, and after a few executions PostgreSQL may switch a cached statement to a
   * generic plan that cannot see the {@code LIMIT} and scans the whole table for every chunk.
   */
  public static <T> Future<T> inChunkTransaction(
      SqlConnection conn, Function<SqlConnection, Future<T>> work) {
    return inTransaction(
        conn,
        c ->
            c.query("SET LOCAL plan_cache_mode = force_custom_plan")
                .execute()
                .compose(v -> work.apply(c)));
  }

  private static Future<Void> rollbackQuietly(Transaction tx) {
    return tx.rollback().otherwiseEmpty();
  }
}
