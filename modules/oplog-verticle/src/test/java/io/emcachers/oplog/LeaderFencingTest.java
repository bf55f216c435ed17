package io.emcachers.oplog;

import static io.emcachers.oplog.OplogTestSupport.append;
import static io.emcachers.oplog.OplogTestSupport.createLiveEntity;
import static io.emcachers.oplog.OplogTestSupport.request;
import static io.emcachers.oplog.OplogTestSupport.requestFailure;
import static io.emcachers.oplog.OplogTestSupport.upsert;
import static io.emcachers.testsupport.Await.await;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.EntityListReply;
import io.emcachers.core.messages.EntityListRequest;
import io.emcachers.core.messages.EntityNameRequest;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.core.messages.OplogReadReply;
import io.emcachers.core.messages.OplogReadRequest;
import io.emcachers.core.messages.StatusEvent;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Two nodes (two Vert.x instances) on one database: one leader, one standby that takes over. */
@Timeout(120)
class LeaderFencingTest extends PostgresTestBase {

  Vertx first;
  Vertx second;

  @BeforeEach
  void setUp() {
    OplogTestSupport.resetTables(pg);
    first = TestVertx.create();
    second = TestVertx.create();
  }

  @AfterEach
  void tearDown() {
    await(first.close());
    await(second.close());
  }

  private static JsonObject config(String node) {
    JsonObject root = OplogTestSupport.rootConfig(pg).put("node_id", node);
    root.getJsonObject("oplog").put("standby_retry_ms", 100);
    return root;
  }

  private static String state(Vertx vertx) {
    return request(vertx, Addresses.OPLOG_LEADER_LOCAL, new HealthRequest(), HealthReply.class)
        .state();
  }

  @Test
  void theStandbyTakesOverWhenTheLeaderGoesAway() {
    List<StatusEvent> secondEvents = new CopyOnWriteArrayList<>();
    second.eventBus().<StatusEvent>consumer(Addresses.STATUS, m -> secondEvents.add(m.body()));

    OplogTestSupport.deploy(first, config("node-1"));
    assertEquals("leader", state(first));
    createLiveEntity(first, "users");
    AppendResult before =
        append(
            first,
            AppendBatch.stream(
                "users",
                new JsonObject().put("t", 1),
                List.of(upsert("users", "u1", new JsonObject()))));
    assertEquals(1, before.lastId());

    OplogTestSupport.deploy(second, config("node-2"));
    assertEquals("standby", state(second));
    HealthReply health =
        request(second, Addresses.OPLOG_HEALTH, new HealthRequest(), HealthReply.class);
    assertEquals("standby", health.state());
    assertTrue(health.ok());
    assertEquals("node-2", health.details().getString("node"));
    assertFalse(health.details().getBoolean("leader"));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                secondEvents.stream()
                    .anyMatch(
                        e ->
                            StatusEvent.TYPE_COMPONENT.equals(e.type())
                                && "oplog".equals(e.component())
                                && "standby".equals(e.state())));

    // a standby registers no write consumer ...
    ReplyException noHandler =
        requestFailure(
            second,
            Addresses.OPLOG_APPEND,
            AppendBatch.stream("users", null, List.of(upsert("users", "u2", new JsonObject()))));
    assertEquals(ReplyFailure.NO_HANDLERS, noHandler.failureType());
    assertEquals(ErrorCodes.UNAVAILABLE, Bus.codeOf(noHandler), "callers see a retriable failure");
    assertEquals(
        ReplyFailure.NO_HANDLERS,
        requestFailure(second, Addresses.ENTITIES_DELETE, new EntityNameRequest("users"))
            .failureType());
    // ... but serves reads
    OplogReadReply read =
        request(
            second, Addresses.OPLOG_READ, new OplogReadRequest(0, 10, null), OplogReadReply.class);
    assertEquals(1, read.rows().size());
    assertEquals(
        List.of("users"),
        request(
                second,
                Addresses.ENTITIES_LIST,
                new EntityListRequest(false),
                EntityListReply.class)
            .entities()
            .stream()
            .map(e -> e.name())
            .toList());
    assertEquals("leader", state(first), "the first node still leads");

    await(first.close()); // its session ends, and with it the advisory lock

    await().atMost(Duration.ofSeconds(15)).until(() -> "leader".equals(state(second)));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                secondEvents.stream()
                    .anyMatch(
                        e ->
                            StatusEvent.TYPE_COMPONENT.equals(e.type())
                                && "leader".equals(e.state())));
    AppendResult after =
        append(
            second,
            AppendBatch.stream(
                "users",
                new JsonObject().put("t", 2),
                List.of(
                    upsert("users", "u2", new JsonObject()),
                    upsert("users", "u3", new JsonObject()))));
    assertEquals(2, after.appended());
    assertEquals(3, after.lastId(), "ids continue after the previous leader's");
    assertEquals(3, after.headId());
    assertEquals(new JsonObject().put("t", 2), after.resumeToken());
    first = TestVertx.create(); // closed above; tearDown closes this fresh one
  }

  @Test
  void twoNodesStartingTogetherElectExactlyOneLeader() {
    var d1 =
        first.deployVerticle(
            new OplogVerticle(), new io.vertx.core.DeploymentOptions().setConfig(config("node-1")));
    var d2 =
        second.deployVerticle(
            new OplogVerticle(), new io.vertx.core.DeploymentOptions().setConfig(config("node-2")));
    await(d1);
    await(d2);
    List<String> states = List.of(state(first), state(second));
    assertTrue(states.contains("leader") && states.contains("standby"), states.toString());
  }

  @Test
  void aLeaderWhoseSessionIsKilledStopsWritingAndExactlyOneNodeLeadsAfterwards() {
    OplogTestSupport.deploy(first, config("node-1"));
    OplogTestSupport.deploy(second, config("node-2"));
    assertEquals("leader", state(first));
    assertEquals("standby", state(second));
    createLiveEntity(first, "users");

    // kill the session that holds the advisory lock: its lock goes with it
    List<java.util.Map<String, Object>> killed =
        OplogTestSupport.query(
            pg,
            "SELECT pg_terminate_backend(pid) AS ok FROM pg_locks WHERE locktype = 'advisory' AND objid = 727272 AND granted");
    assertEquals(1, killed.size());

    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () -> {
              List<String> states = List.of(state(first), state(second));
              return states.contains("leader") && states.contains("standby");
            });
    Vertx leader = "leader".equals(state(first)) ? first : second;
    Vertx standby = leader == first ? second : first;
    assertEquals(
        ReplyFailure.NO_HANDLERS,
        requestFailure(
                standby,
                Addresses.OPLOG_APPEND,
                AppendBatch.stream("users", null, List.of(upsert("users", "x", new JsonObject()))))
            .failureType(),
        "the node that is not leading has no write consumer");
    AppendResult r =
        append(
            leader,
            AppendBatch.stream("users", null, List.of(upsert("users", "u1", new JsonObject()))));
    assertEquals(1, r.appended());
    assertEquals(
        1L,
        OplogTestSupport.count(
            pg, "pg_locks WHERE locktype = 'advisory' AND objid = 727272 AND granted"),
        "one lock holder");
  }
}
