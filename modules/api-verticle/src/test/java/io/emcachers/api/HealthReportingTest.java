package io.emcachers.api;

import static io.emcachers.api.ApiTestSupport.KEY;
import static io.emcachers.api.ApiTestSupport.authed;
import static io.emcachers.api.ApiTestSupport.send;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.testsupport.Await;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Health answers as the components report them. The components here are stand-ins on the real bus
 * that answer {@code *.health} with what the real ones send (the listener is not a dependency of
 * this module); the end-to-end test covers the real oplog, replicator and cache-db manager.
 */
class HealthReportingTest {

  static Vertx vertx;
  static WebClient client;
  static final AtomicBoolean mongoUp = new AtomicBoolean(true);

  @BeforeAll
  static void start() throws Exception {
    vertx = TestVertx.withMetrics();
    JsonArray jobs =
        new JsonArray()
            .add(
                new JsonObject()
                    .put("name", "entity-refresh")
                    .put("run_count", 3)
                    .put("last_outcome", "ok"));
    answer(
        Addresses.OPLOG_HEALTH,
        () ->
            new HealthReply(
                "oplog",
                true,
                "standby",
                new JsonObject()
                    .put("node", "n1")
                    .put("postgres_reachable", true)
                    .put("postgres", "postgresql://postgres@db:5432/postgres")
                    .put("jobs", jobs)
                    .put(
                        "circuits",
                        new JsonObject()
                            .put(
                                "postgresql",
                                new JsonObject().put("state", "closed").put("failures", 1)))));
    answer(
        Addresses.LISTENER_HEALTH,
        () ->
            new HealthReply(
                "listener",
                mongoUp.get(),
                mongoUp.get() ? "streaming" : "reconnecting",
                new JsonObject()
                    .put("node", "n1")
                    .put("mongo_reachable", mongoUp.get())
                    .put("last_error", mongoUp.get() ? null : "connection refused")));
    answer(
        Addresses.REPLICATOR_STATS,
        () ->
            new HealthReply(
                "replicator",
                true,
                "running",
                new JsonObject().put("node", "n1").put("lag_rows", 0)));
    answer(
        Addresses.CACHE_HEALTH,
        () ->
            new HealthReply(
                "cache-db",
                true,
                "running",
                new JsonObject().put("node", "n1").put("open_connections", 2)));
    client =
        ApiTestSupport.client(
            vertx,
            ApiTestSupport.deployApi(vertx, ApiTestSupport.rootConfig(KEY, false)).actualPort());
  }

  static void answer(String address, java.util.function.Supplier<HealthReply> reply)
      throws Exception {
    Await.await(
        vertx
            .eventBus()
            .<Object>consumer(
                address,
                m -> Bus.handle(m, HealthRequest.class, r -> Future.succeededFuture(reply.get())))
            .completion());
  }

  @AfterAll
  static void stop() throws Exception {
    Await.await(vertx.close());
  }

  @Test
  void upWhenEveryComponentAnswersOkAndAStandbyOplogIsHealthy() throws Exception {
    mongoUp.set(true);
    HttpResponse<Buffer> live = send(client.get("/health"));
    assertEquals(200, live.statusCode(), live.bodyAsString());
    assertEquals(new JsonObject().put("status", "UP"), live.bodyAsJsonObject());

    HttpResponse<Buffer> detailed = send(authed(client, HttpMethod.GET, "/health/detailed"));
    assertEquals(200, detailed.statusCode());
    JsonObject byId = byId(detailed.bodyAsJsonObject());
    assertEquals("standby", byId.getJsonObject("oplog").getJsonObject("data").getString("state"));
    assertEquals(
        "postgresql://postgres@db:5432/postgres",
        byId.getJsonObject("postgres").getJsonObject("data").getString("target"));
    assertEquals(1, byId.getJsonObject("oplog").getJsonObject("data").getInteger("jobs"));
    // circuit breakers: the backend check shows its target's breaker, the top level gathers every
    // reported one
    assertEquals(
        "closed",
        byId.getJsonObject("postgres")
            .getJsonObject("data")
            .getJsonObject("circuit")
            .getString("state"));
    JsonObject pgCircuit =
        detailed.bodyAsJsonObject().getJsonObject("circuits").getJsonObject("postgresql");
    assertEquals("closed", pgCircuit.getString("state"));
    assertEquals(1, pgCircuit.getInteger("failures"));
    assertEquals("oplog", pgCircuit.getString("via"));
    assertEquals("n1", pgCircuit.getString("node"));

    JsonObject jobs = send(authed(client, HttpMethod.GET, "/api/jobs")).bodyAsJsonObject();
    assertEquals(1, jobs.getJsonArray("jobs").size());
    assertEquals("oplog", jobs.getJsonArray("jobs").getJsonObject(0).getString("component"));
    assertEquals("n1", jobs.getJsonArray("jobs").getJsonObject(0).getString("node"));
    assertEquals(0, jobs.getJsonArray("unavailable").size());

    assertEquals(
        2,
        send(authed(client, HttpMethod.GET, "/api/system/stats"))
            .bodyAsJsonObject()
            .getJsonObject("sqlite")
            .getInteger("open_connections"));
  }

  @Test
  void aComponentThatReportsAFailureIsDownWithItsError() throws Exception {
    mongoUp.set(false);
    try {
      HttpResponse<Buffer> live = send(client.get("/health"));
      assertEquals(503, live.statusCode());
      assertEquals(
          new JsonObject()
              .put("mongodb", "connection refused")
              .put("listener", "connection refused"),
          live.bodyAsJsonObject().getJsonObject("failing"));
    } finally {
      mongoUp.set(true);
    }
  }

  static JsonObject byId(JsonObject health) {
    JsonObject byId = new JsonObject();
    health.getJsonArray("checks").forEach(o -> byId.put(((JsonObject) o).getString("id"), o));
    return byId;
  }
}
