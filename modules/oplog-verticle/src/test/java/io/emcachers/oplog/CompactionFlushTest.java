package io.emcachers.oplog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.emcachers.testsupport.TestVertx;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.SqlConnection;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the oplog's sessions hold: every session opened with the oplog's connect options (the single
 * writer, the read pool, and the compaction pool, where a run's candidate read, delete chunks and
 * VACUUM run) writes its dirty pages out as it goes ({@code backend_flush_after}), so no compaction
 * write is left for a checkpoint's fsync to flush in one burst — the cause of the 200-300 ms append
 * stalls the benchmark measured during a run. A plain session of the same server keeps the server's
 * default.
 */
@Timeout(120)
class CompactionFlushTest extends PostgresTestBase {

  Vertx vertx;

  @AfterEach
  void close() throws Exception {
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static Future<String> show(SqlConnection c) {
    return c.query("SHOW backend_flush_after")
        .execute()
        .map(rows -> rows.iterator().next().getString(0))
        .eventually(c::close);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void everyOplogSessionFlushesItsWritesAsItGoes() throws Exception {
    vertx = TestVertx.create();
    OplogConfig config = OplogConfig.fromJson(OplogTestSupport.rootConfig(pg));
    String oplogSession =
        await(PgConnection.connect(vertx, config.connectOptions()).compose(c -> show(c)));
    assertEquals(OplogConfig.BACKEND_FLUSH_AFTER, oplogSession);

    var plain = config.connectOptions();
    plain.getProperties().remove("backend_flush_after");
    String plainSession = await(PgConnection.connect(vertx, plain).compose(c -> show(c)));
    assertNotEquals(
        OplogConfig.BACKEND_FLUSH_AFTER, plainSession, "the server default (0 on Linux)");
  }
}
