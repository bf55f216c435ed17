package io.emcachers.oplog;

import static io.emcachers.oplog.OplogTestSupport.append;
import static io.emcachers.oplog.OplogTestSupport.createEntity;
import static io.emcachers.oplog.OplogTestSupport.request;
import static io.emcachers.oplog.OplogTestSupport.upsert;
import static io.emcachers.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.OplogReadReply;
import io.emcachers.core.messages.OplogReadRequest;
import io.emcachers.core.messages.ResumeTokenReply;
import io.emcachers.core.messages.ResumeTokenRequest;
import io.emcachers.core.messages.ScanEndReply;
import io.emcachers.core.messages.ScanEndRequest;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.model.Oplog;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.containers.PostgreSQLContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The append / read / scan-end scenario against a real PostgreSQL 17 container (skipped without
 * Docker).
 */
@Testcontainers(disabledWithoutDocker = true)
@Timeout(300)
class OplogPostgresContainerIT {

  @Container
  static final PostgreSQLContainer<?> PG =
      new PostgreSQLContainer<>("postgres:17")
          .withDatabaseName("emc")
          .withUsername("emc")
          .withPassword("emc-secret");

  Vertx vertx;

  @BeforeEach
  void setUp() {
    vertx = TestVertx.create();
    String url =
        "postgresql://"
            + PG.getUsername()
            + ":"
            + PG.getPassword()
            + "@"
            + PG.getHost()
            + ":"
            + PG.getMappedPort(5432)
            + "/"
            + PG.getDatabaseName();
    JsonObject root =
        new JsonObject()
            .put("node_id", "it-node")
            .put("postgres", new JsonObject().put("url", url).put("pool_size", 2))
            .put("oplog", new JsonObject().put("standby_retry_ms", 200));
    await(vertx.deployVerticle(new OplogVerticle(), new DeploymentOptions().setConfig(root)));
  }

  @AfterEach
  void tearDown() {
    await(vertx.close());
  }

  @Test
  void appendReadAndScanEnd() {
    createEntity(vertx, "items");
    AppendResult staged =
        append(
            vertx,
            AppendBatch.stream(
                "items",
                new JsonObject().put("_data", "a1"),
                List.of(upsert("items", "s1", new JsonObject().put("title", "streamed")))));
    assertEquals(1, staged.staged());
    AppendResult scanned =
        append(
            vertx,
            AppendBatch.scan(
                "items",
                new JsonObject().put("v", 2),
                List.of(
                    upsert("items", "d1", new JsonObject().put("title", "one")),
                    upsert("items", "d2", new JsonObject().put("title", "two")))));
    assertEquals(2, scanned.appended());

    ScanEndReply end =
        request(vertx, Addresses.OPLOG_SCAN_END, new ScanEndRequest("items"), ScanEndReply.class);
    assertEquals(1, end.moved());
    assertEquals(EntityStatus.live, end.entity().status());

    OplogReadReply read =
        request(
            vertx, Addresses.OPLOG_READ, new OplogReadRequest(0, 100, null), OplogReadReply.class);
    assertEquals(List.of("d1", "d2", "s1"), read.rows().stream().map(Oplog::docId).toList());
    assertEquals(3, read.headId());
    assertEquals(
        new JsonObject().put("items", new JsonObject().put("_data", "a1")),
        request(
                vertx,
                Addresses.OPLOG_RESUME_TOKEN,
                new ResumeTokenRequest(),
                ResumeTokenReply.class)
            .tokens());
  }
}
