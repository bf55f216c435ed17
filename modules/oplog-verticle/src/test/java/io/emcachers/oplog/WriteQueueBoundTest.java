package io.emcachers.oplog;

import static io.emcachers.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.BusException;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.oplog.writer.WriteQueue;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.SqlConnection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The writer queue's bound ({@code max_queued_writes}) refuses appends with UNAVAILABLE once it is
 * full, but not the unit {@link WriteQueue#submitFirst} puts ahead of them (the lease renewal,
 * which must never wait behind a backlog). The rest runs in submission order on the one writer
 * connection.
 */
@Timeout(60)
class WriteQueueBoundTest extends PostgresTestBase {

  Vertx vertx;

  @AfterEach
  void close() {
    if (vertx != null) {
      await(vertx.close());
    }
  }

  @Test
  void aFullQueueRefusesAppendsButTakesTheLeaseRenewalFirst() throws Exception {
    vertx = TestVertx.create();
    OplogConfig config = OplogConfig.fromJson(OplogTestSupport.rootConfig(pg));
    SqlConnection conn = await(PgConnection.connect(vertx, config.connectOptions()));
    CompletableFuture<Object[]> outcome = new CompletableFuture<>();
    StringBuilder order = new StringBuilder();
    vertx.runOnContext(
        v -> {
          WriteQueue queue = new WriteQueue(vertx, 30_000, 2, 60_000, (c, e) -> {});
          queue.attach(conn);
          Promise<Void> gate = Promise.promise();
          // the running unit waits on the gate; two more fill the queue
          queue.submit("blocker", c -> gate.future().map(x -> order.append("b")));
          Future<?> a1 = queue.submit("a1", c -> sql(c, order, "1"));
          Future<?> a2 = queue.submit("a2", c -> sql(c, order, "2"));
          Future<?> refused = queue.submit("a3", c -> sql(c, order, "3"));
          Future<?> renewal = queue.submitFirst("lease renewal", c -> sql(c, order, "r"));
          gate.complete();
          Future.join(a1, a2, renewal)
              .onComplete(
                  x ->
                      outcome.complete(
                          new Object[] {
                            refused.cause(), renewal.succeeded(), a1.succeeded() && a2.succeeded()
                          }));
        });
    Object[] r = outcome.get(30, TimeUnit.SECONDS);
    BusException refusal = assertInstanceOf(BusException.class, r[0]);
    assertEquals(ErrorCodes.UNAVAILABLE, refusal.code());
    assertTrue(refusal.getMessage().contains("queue is full"), refusal.getMessage());
    assertEquals(true, r[1], "the renewal ran although the queue was full");
    assertEquals(true, r[2], "the queued appends ran");
    assertEquals("br12", order.toString(), "the renewal ahead of the queued appends");
  }

  private static Future<Object> sql(SqlConnection c, StringBuilder order, String mark) {
    return c.query("SELECT 1").execute().map(x -> order.append(mark));
  }
}
