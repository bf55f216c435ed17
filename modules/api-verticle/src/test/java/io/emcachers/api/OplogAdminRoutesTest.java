package io.emcachers.api;

import static io.emcachers.api.ApiTestSupport.authed;
import static io.emcachers.api.ApiTestSupport.error;
import static io.emcachers.api.ApiTestSupport.send;
import static io.emcachers.api.ApiTestSupport.sendJson;
import static io.emcachers.testsupport.Await.await;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.client.OplogClient;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.EntityStatusRequest;
import io.emcachers.core.messages.EntityUpsertRequest;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.model.Operation;
import io.emcachers.devservices.DevPostgres;
import io.emcachers.oplog.OplogVerticle;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code /api/oplog/compact|stats|replicas} against the real oplog verticle on embedded PostgreSQL
 * ({@code retain_history_ms = 0}, no scheduled run).
 */
class OplogAdminRoutesTest {

  static DevPostgres pg;
  static Vertx vertx;
  static WebClient client;

  @BeforeAll
  static void start() throws Exception {
    pg = DevPostgres.startTemporary();
    vertx = TestVertx.create();
    JsonObject root = ApiTestSupport.rootConfig(ApiTestSupport.KEY, false);
    root.put("postgres", new JsonObject().put("url", pg.url()).put("pool_size", 4))
        .put(
            "oplog",
            new JsonObject()
                .put("standby_retry_ms", 200)
                .put("retain_history_ms", 0)
                .put("compaction_interval_ms", 0));
    await(vertx.deployVerticle(new OplogVerticle(), new DeploymentOptions().setConfig(root)));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                "leader"
                    .equals(
                        await(
                                Bus.request(
                                    vertx.eventBus(),
                                    Addresses.OPLOG_HEALTH,
                                    new HealthRequest(),
                                    HealthReply.class))
                            .state()));
    ApiVerticle api = ApiTestSupport.deployApi(vertx, root);
    client = ApiTestSupport.client(vertx, api.actualPort());
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) {
      await(vertx.close());
    }
    if (pg != null) {
      pg.close();
    }
  }

  static <R> R request(String address, Object body, Class<R> type) {
    return await(Bus.request(vertx.eventBus(), address, body, type));
  }

  static void createLive(String name) {
    JsonObject definition =
        new JsonObject()
            .put("name", name)
            .put(
                "shape",
                new JsonObject()
                    .put("entity_name", name)
                    .put("source_name", name + "_src")
                    .put(
                        "columns",
                        new JsonArray()
                            .add(
                                new JsonObject()
                                    .put("name", "v")
                                    .put("type", "Integer")
                                    .put("path", "v"))));
    request(Addresses.ENTITIES_CREATE, new EntityUpsertRequest(definition), EntityReply.class);
    request(
        Addresses.ENTITIES_SET_STATUS,
        new EntityStatusRequest(name, EntityStatus.live, "test"),
        EntityReply.class);
  }

  static JsonObject ok(HttpResponse<Buffer> r, int status) {
    assertEquals(status, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  @Test
  void compactStatsAndReplicas() throws Exception {
    createLive("notes");
    for (int round = 0; round < 3; round++) {
      List<OplogEntry> batch = new ArrayList<>();
      for (int d = 0; d < 5; d++) {
        batch.add(
            new OplogEntry(Operation.Upsert, "notes", "n" + d, new JsonObject().put("v", round)));
      }
      request(
          Addresses.OPLOG_APPEND,
          AppendBatch.stream("test", new JsonObject().put("_data", "r" + round), batch),
          AppendResult.class);
    }
    OplogClient oplog = new OplogClient(vertx.eventBus());
    await(oplog.reportReplica("node-x", 0, false));

    JsonObject stats = ok(send(authed(client, HttpMethod.GET, "/api/oplog/stats")), 200);
    assertEquals(15, stats.getJsonObject("rows_by_entity").getLong("notes"));
    assertEquals(401, send(client.get("/api/oplog/stats")).statusCode());

    assertEquals(401, send(client.post("/api/oplog/compact")).statusCode());
    JsonObject run = ok(send(authed(client, HttpMethod.POST, "/api/oplog/compact")), 200);
    assertEquals("done", run.getString("status"));
    assertEquals(10, run.getLong("superseded_removed"), run.encode());
    assertTrue(run.getLong("tombstone_horizon") <= 1, "node-x at 0 holds T back: " + run);

    stats = ok(send(authed(client, HttpMethod.GET, "/api/oplog/stats")), 200);
    assertEquals(5, stats.getJsonObject("rows_by_entity").getLong("notes"));
    assertEquals(run.getLong("compaction_horizon"), stats.getLong("compacted_below"));

    JsonObject replicas = ok(send(authed(client, HttpMethod.GET, "/api/oplog/replicas")), 200);
    JsonObject x = replicas.getJsonArray("replicas").getJsonObject(0);
    assertEquals("node-x", x.getString("node_id"));
    assertTrue(x.getBoolean("live"));

    assertEquals(
        401, send(client.request(HttpMethod.DELETE, "/api/oplog/replicas/node-x")).statusCode());
    JsonObject removed =
        ok(send(authed(client, HttpMethod.DELETE, "/api/oplog/replicas/node-x")), 200);
    assertEquals(true, removed.getBoolean("removed"));
    HttpResponse<Buffer> again =
        send(authed(client, HttpMethod.DELETE, "/api/oplog/replicas/node-x"));
    assertEquals(404, again.statusCode(), again.bodyAsString());
    assertEquals("not_found", error(again).getString("code"));
    assertEquals(
        0,
        ok(send(authed(client, HttpMethod.GET, "/api/oplog/replicas")), 200)
            .getJsonArray("replicas")
            .size());
  }

  @Test
  void compactedHistoryAnswers410AndTheCompactedStateStillReads() throws Exception {
    createLive("events");
    for (int round = 0; round < 3; round++) {
      List<OplogEntry> batch = new ArrayList<>();
      for (int d = 0; d < 5; d++) {
        batch.add(
            new OplogEntry(Operation.Upsert, "events", "e" + d, new JsonObject().put("v", round)));
      }
      request(
          Addresses.OPLOG_APPEND,
          AppendBatch.stream("events-test", new JsonObject().put("_data", "e" + round), batch),
          AppendResult.class);
    }
    ok(send(authed(client, HttpMethod.POST, "/api/oplog/compact")), 200);

    HttpResponse<Buffer> gone = send(authed(client, HttpMethod.GET, "/api/oplogs/events?after=1"));
    assertEquals(410, gone.statusCode(), gone.bodyAsString());
    assertEquals("compacted", error(gone).getString("code"));
    assertTrue(
        error(gone).getString("message").contains("read again from after=0 with compacted=true"),
        gone.bodyAsString());

    JsonObject state =
        ok(
            send(
                authed(
                    client, HttpMethod.GET, "/api/oplogs/events?after=0&limit=100&compacted=true")),
            200);
    assertEquals(true, state.getBoolean("compacted"));
    assertEquals(5, state.getInteger("count"), state.encode());
    for (Object row : state.getJsonArray("rows")) {
      assertEquals(2, ((JsonObject) row).getJsonObject("data").getInteger("v"), state.encode());
    }
    JsonObject batch =
        ok(
            sendJson(
                authed(client, HttpMethod.POST, "/api/oplogs/batch"),
                new JsonObject()
                    .put("entities", new JsonArray().add("events"))
                    .put("compacted", true)),
            200);
    assertEquals(5, batch.getInteger("count"), batch.encode());
    HttpResponse<Buffer> bad =
        sendJson(
            authed(client, HttpMethod.POST, "/api/oplogs/batch"),
            new JsonObject()
                .put("entities", new JsonArray().add("events"))
                .put("compacted", "yes"));
    assertEquals(400, bad.statusCode(), bad.bodyAsString());
    assertEquals(
        400,
        send(authed(client, HttpMethod.GET, "/api/oplogs/events?compacted=maybe")).statusCode());
  }
}
