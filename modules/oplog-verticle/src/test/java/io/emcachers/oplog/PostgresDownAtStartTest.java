package io.emcachers.oplog;

import static io.emcachers.oplog.OplogTestSupport.createLiveEntity;
import static io.emcachers.oplog.OplogTestSupport.request;
import static io.emcachers.testsupport.Await.await;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.core.model.Entity;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * PostgreSQL is down when the verticle starts: it deploys anyway, reports disconnected, and serves
 * once PostgreSQL is up.
 */
@Timeout(180)
class PostgresDownAtStartTest extends PostgresTestBase {

  Vertx vertx;

  @AfterEach
  void tearDown() {
    pg.start();
    await(vertx.close());
  }

  @Test
  void deploysWhilePostgresIsDownThenServesWhenItComesUp() {
    pg.stop();
    vertx = TestVertx.create();
    var root = OplogTestSupport.rootConfig(pg);
    root.getJsonObject("oplog")
        .put("reconnect_initial_backoff_ms", 100)
        .put("reconnect_max_backoff_ms", 500);
    await(vertx.deployVerticle(new OplogVerticle(), new DeploymentOptions().setConfig(root)));

    HealthReply down =
        request(vertx, Addresses.OPLOG_HEALTH, new HealthRequest(), HealthReply.class);
    assertEquals("disconnected", down.state());
    assertFalse(down.ok());

    pg.start();
    await()
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .until(
            () ->
                "leader"
                    .equals(
                        request(
                                vertx,
                                Addresses.OPLOG_LEADER_LOCAL,
                                new HealthRequest(),
                                HealthReply.class)
                            .state()));
    Entity created = createLiveEntity(vertx, "after_outage");
    assertEquals("after_outage", created.name());
  }
}
