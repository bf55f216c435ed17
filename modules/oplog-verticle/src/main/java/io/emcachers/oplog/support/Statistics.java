package io.emcachers.oplog.support;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refreshes planner statistics before a chunked long write. A bulk of rows loaded seconds ago (a
 * scan's staged rows, a re-created table) is invisible to statistics until autovacuum's analyze
 * runs, and a plan made on them can turn one chunk into a scan of the whole table per row. ANALYZE
 * samples a bounded number of rows and runs on the read pool, so the writer is never held by it.
 * Best effort: a failure is logged and the write goes on. Guarded by the {@code postgresql} circuit
 * breaker but not timed by it ({@link GuardedPool#untimed}): on a large table ANALYZE may
 * legitimately take a while.
 */
public final class Statistics {

  private static final Logger LOG = LoggerFactory.getLogger(Statistics.class);

  private Statistics() {}

  public static Future<Void> refresh(Pool pool, String... tables) {
    return GuardedPool.untimed(pool)
        .query("ANALYZE " + String.join(", ", tables))
        .execute()
        .<Void>mapEmpty()
        .recover(
            e -> {
              LOG.warn(
                  "oplog: ANALYZE {} failed ({}); going on with the current statistics",
                  String.join(", ", tables),
                  e.toString());
              return Future.succeededFuture();
            });
  }
}
