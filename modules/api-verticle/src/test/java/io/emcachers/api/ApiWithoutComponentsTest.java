package io.emcachers.api;

import static io.emcachers.api.ApiTestSupport.KEY;
import static io.emcachers.api.ApiTestSupport.authed;
import static io.emcachers.api.ApiTestSupport.error;
import static io.emcachers.api.ApiTestSupport.send;
import static io.emcachers.api.ApiTestSupport.sendJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.testsupport.Await;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The API on a real event bus with none of the other verticles deployed: auth, input checks, the
 * error shape, and the answers when a component does not respond. Three API instances: with a key,
 * without a key, and with a key and open reads.
 */
class ApiWithoutComponentsTest {

  static Vertx vertx;
  static WebClient client;
  static WebClient noKeyClient;
  static WebClient openClient;

  @BeforeAll
  static void start() throws Exception {
    vertx = TestVertx.withMetrics();
    client =
        ApiTestSupport.client(
            vertx,
            ApiTestSupport.deployApi(vertx, ApiTestSupport.rootConfig(KEY, false)).actualPort());
    noKeyClient =
        ApiTestSupport.client(
            vertx,
            ApiTestSupport.deployApi(vertx, ApiTestSupport.rootConfig(null, false)).actualPort());
    openClient =
        ApiTestSupport.client(
            vertx,
            ApiTestSupport.deployApi(vertx, ApiTestSupport.rootConfig(KEY, true)).actualPort());
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) {
      Await.await(vertx.close());
    }
  }

  static JsonObject entityDef(String name) {
    return new JsonObject()
        .put("name", name)
        .put(
            "shape",
            new JsonObject()
                .put("entity_name", "User")
                .put("source_name", "users")
                .put(
                    "columns",
                    new JsonArray()
                        .add(
                            new JsonObject()
                                .put("name", "id")
                                .put("type", "Text")
                                .put("path", "_id"))));
  }

  @Test
  void healthIsOpenAndNamesEveryMissingComponent() throws Exception {
    HttpResponse<Buffer> r = send(client.get("/health"));
    assertEquals(503, r.statusCode());
    JsonObject body = r.bodyAsJsonObject();
    assertEquals("DOWN", body.getString("status"));
    JsonObject failing = body.getJsonObject("failing");
    for (String id :
        List.of("postgres", "mongodb", "oplog", "listener", "replicator", "cache-db")) {
      assertTrue(
          failing.getString(id).contains("no component answers on emc."), id + ": " + failing);
    }
  }

  @Test
  void detailedHealthNeedsTheKeyAndListsEveryProcedure() throws Exception {
    assertEquals(401, send(client.get("/health/detailed")).statusCode());
    HttpResponse<Buffer> r = send(authed(client, HttpMethod.GET, "/health/detailed"));
    assertEquals(503, r.statusCode());
    JsonObject body = r.bodyAsJsonObject();
    assertEquals("DOWN", body.getString("status"));
    JsonArray checks = body.getJsonArray("checks");
    assertEquals(6, checks.size());
    for (Object o : checks) {
      JsonObject c = (JsonObject) o;
      assertEquals("DOWN", c.getString("status"));
      assertNotNull(c.getString("reason"));
    }
    assertEquals("api-test-node", body.getJsonObject("api").getString("node"));
  }

  @Test
  void readsNeedTheKeyAndCompareIt() throws Exception {
    HttpResponse<Buffer> missing = send(client.get("/api/entities"));
    assertEquals(401, missing.statusCode());
    assertEquals("unauthorized", error(missing).getString("code"));
    assertTrue(missing.getHeader("WWW-Authenticate").startsWith("Bearer"));

    HttpResponse<Buffer> wrong =
        send(client.get("/api/entities").putHeader("Authorization", "Bearer " + KEY + "x"));
    assertEquals(401, wrong.statusCode());
    assertEquals("invalid API key", error(wrong).getString("message"));
    assertEquals(
        401,
        send(client.get("/api/entities").putHeader("Authorization", "Basic " + KEY)).statusCode());
    assertEquals(
        401, send(client.get("/api/entities").putHeader("Authorization", "Bearer ")).statusCode());

    // The right key passes auth; with no oplog verticle the bus has no handler: 503.
    HttpResponse<Buffer> right = send(authed(client, HttpMethod.GET, "/api/entities"));
    assertEquals(503, right.statusCode());
    assertEquals("unavailable", error(right).getString("code"));
    assertTrue(error(right).getString("message").contains("emc.entities.list"));
  }

  @Test
  void writesAlwaysNeedTheKeyEvenWithOpenReads() throws Exception {
    HttpResponse<Buffer> read = send(openClient.get("/api/entities"));
    assertEquals(
        503, read.statusCode(), "open reads pass auth and reach the (absent) entity manager");
    HttpResponse<Buffer> write = sendJson(openClient.post("/api/entities"), entityDef("users"));
    assertEquals(401, write.statusCode());
    assertEquals(401, send(openClient.delete("/api/entities/users")).statusCode());
    assertEquals(401, send(openClient.post("/api/replication/recreate/users")).statusCode());
  }

  @Test
  void withoutAConfiguredKeyWritesAreRefusedWithTheReason() throws Exception {
    HttpResponse<Buffer> r =
        sendJson(authed(noKeyClient, HttpMethod.POST, "/api/entities"), entityDef("users"));
    assertEquals(403, r.statusCode());
    assertEquals("forbidden", error(r).getString("code"));
    assertTrue(
        error(r).getString("message").contains("no API key is configured"), error(r).encode());
    assertEquals(403, send(noKeyClient.get("/api/entities")).statusCode());
    // /health stays open
    assertEquals(503, send(noKeyClient.get("/health")).statusCode());
  }

  @Test
  void malformedAndWrongJsonBodiesAre400() throws Exception {
    HttpResponse<Buffer> r =
        sendJson(authed(client, HttpMethod.POST, "/api/entities"), "{\"name\": ");
    assertEquals(400, r.statusCode());
    assertEquals("malformed_json", error(r).getString("code"));
    assertEquals(
        400, sendJson(authed(client, HttpMethod.POST, "/api/entities"), "[1,2]").statusCode());
    assertEquals(400, send(authed(client, HttpMethod.POST, "/api/entities")).statusCode());
    assertFalse(
        r.bodyAsString().contains("Exception"),
        "no stack traces or exception names: " + r.bodyAsString());

    String deep = "{\"name\":" + "[".repeat(1500) + "]".repeat(1500) + "}";
    assertEquals(
        "malformed_json",
        error(sendJson(authed(client, HttpMethod.POST, "/api/entities"), deep)).getString("code"));
    HttpResponse<Buffer> notUtf8 =
        Await.await(
            authed(client, HttpMethod.POST, "/api/entities")
                .putHeader("Content-Type", "application/json")
                .sendBuffer(Buffer.buffer(new byte[] {'{', '"', (byte) 0xff, '"', ':', '1', '}'})));
    assertEquals(400, notUtf8.statusCode());
    assertEquals("malformed_json", error(notUtf8).getString("code"));
    // the content type is not checked: a JSON body labelled otherwise is still read as JSON (and
    // reaches the absent entity manager)
    for (String type : List.of("text/plain", "application/x-www-form-urlencoded")) {
      HttpResponse<Buffer> labelled =
          Await.await(
              authed(client, HttpMethod.POST, "/api/entities")
                  .putHeader("Content-Type", type)
                  .sendBuffer(Buffer.buffer(entityDef("users").encode())));
      assertEquals(503, labelled.statusCode(), type + ": " + labelled.bodyAsString());
    }
  }

  @Test
  void entityDefinitionsAreValidatedFieldByFieldBeforeTheBus() throws Exception {
    JsonObject bad =
        new JsonObject()
            .put("name", "Bad-Name")
            .put("shape", new JsonObject().put("columns", new JsonArray()));
    HttpResponse<Buffer> r = sendJson(authed(client, HttpMethod.POST, "/api/entities"), bad);
    assertEquals(400, r.statusCode());
    JsonObject e = error(r);
    assertEquals("validation_failed", e.getString("code"));
    JsonArray details = e.getJsonArray("details");
    List<String> fields = details.stream().map(o -> ((JsonObject) o).getString("field")).toList();
    assertTrue(
        fields.containsAll(
            List.of("name", "shape.entity_name", "shape.source_name", "shape.columns")),
        fields.toString());

    HttpResponse<Buffer> rename =
        sendJson(authed(client, HttpMethod.PUT, "/api/entities/users"), entityDef("people"));
    assertEquals(400, rename.statusCode());
    assertEquals("name", error(rename).getJsonArray("details").getJsonObject(0).getString("field"));
  }

  @Test
  void oversizedBodiesAre413() throws Exception {
    String big = "{\"name\":\"" + "x".repeat(10_000) + "\"}";
    HttpResponse<Buffer> r = sendJson(authed(client, HttpMethod.POST, "/api/entities"), big);
    assertEquals(413, r.statusCode());
    assertEquals("too_large", error(r).getString("code"));
    assertEquals(
        413, sendJson(authed(client, HttpMethod.POST, "/api/cache/users/query"), big).statusCode());
  }

  @Test
  void badEntityNamesAre400BeforeAnyUse() throws Exception {
    for (String name : List.of("..%2Fx", "a%2Fb", "x%3Bdrop", "Users", "1abc", "a%00b")) {
      for (String uri :
          List.of(
              "/api/entities/" + name,
              "/api/oplogs/" + name,
              "/api/cache/" + name + "/docs",
              "/api/cache/" + name + "/docs/1")) {
        HttpResponse<Buffer> r = send(authed(client, HttpMethod.GET, uri));
        assertEquals(400, r.statusCode(), uri + " -> " + r.bodyAsString());
        assertEquals("validation_failed", error(r).getString("code"), uri);
      }
      assertEquals(
          400, send(authed(client, HttpMethod.DELETE, "/api/entities/" + name)).statusCode());
      assertEquals(
          400,
          send(authed(client, HttpMethod.POST, "/api/replication/recreate/" + name)).statusCode());
      assertEquals(
          400,
          sendJson(
                  authed(client, HttpMethod.POST, "/api/cache/" + name + "/query"),
                  new JsonObject().put("sql", "SELECT 1"))
              .statusCode());
    }
    // A dot-segment is resolved by path normalisation before routing: it never reaches a handler.
    assertEquals(404, send(authed(client, HttpMethod.GET, "/api/entities/%2E%2E")).statusCode());
    assertEquals(
        400, send(authed(client, HttpMethod.GET, "/ws/status?entity=x%3Bdrop")).statusCode());
    HttpResponse<Buffer> batch =
        sendJson(
            authed(client, HttpMethod.POST, "/api/oplogs/batch"),
            new JsonObject()
                .put("entities", new JsonArray().add("ok_name").add("../x"))
                .put("limit", 0));
    assertEquals(400, batch.statusCode());
    List<String> fields =
        error(batch).getJsonArray("details").stream()
            .map(o -> ((JsonObject) o).getString("field"))
            .toList();
    assertEquals(List.of("entities[1]", "limit"), fields);
  }

  @Test
  void malformedPercentEscapesAre400BeforeAnyRouteMatches() throws Exception {
    for (String[] request :
        List.of(
            new String[] {"GET", "/api/entities/%"},
            new String[] {"POST", "/api/cache/%/query"},
            new String[] {"GET", "/api/cache/x/docs/%zz"},
            new String[] {"GET", "/api/cache/users/docs/%C3"},
            new String[] {"DELETE", "/api/entities/%%"},
            new String[] {"GET", "/api/oplogs/users?after=%G1"},
            new String[] {"GET", "/nowhere/%"})) {
      HttpResponse<Buffer> r = send(authed(client, HttpMethod.valueOf(request[0]), request[1]));
      assertEquals(400, r.statusCode(), request[1] + " -> " + r.bodyAsString());
      assertEquals("bad_request", error(r).getString("code"), request[1]);
      assertTrue(
          error(r).getString("message").contains("invalid percent-encoding"), error(r).encode());
    }
    assertTrue(
        error(send(authed(client, HttpMethod.GET, "/api/entities/%")))
            .getString("message")
            .startsWith("request path "));
    assertTrue(
        error(send(authed(client, HttpMethod.GET, "/api/entities?x=%")))
            .getString("message")
            .startsWith("request query string "));
  }

  @Test
  void queryParametersAreChecked() throws Exception {
    assertEquals(
        400, send(authed(client, HttpMethod.GET, "/api/oplogs/users?after=-1")).statusCode());
    assertEquals(
        400, send(authed(client, HttpMethod.GET, "/api/oplogs/users?after=abc")).statusCode());
    assertEquals(
        400, send(authed(client, HttpMethod.GET, "/api/oplogs/users?limit=0")).statusCode());
    assertEquals(
        400, send(authed(client, HttpMethod.GET, "/api/oplogs/users?limit=10001")).statusCode());
    assertEquals(
        400, send(authed(client, HttpMethod.GET, "/api/cache/users/docs?limit=5000")).statusCode());
    // valid parameters reach the bus: nobody serves the oplog here
    assertEquals(
        503,
        send(authed(client, HttpMethod.GET, "/api/oplogs/users?after=5&limit=10")).statusCode());
  }

  @Test
  void theQueryEndpointRefusesAnythingButOneSelectBeforeTheCache() throws Exception {
    for (String sql :
        List.of(
            "INSERT INTO users VALUES ('x')",
            "ATTACH DATABASE '/tmp/x.db' AS x",
            "PRAGMA journal_mode=DELETE",
            "SELECT 1; DELETE FROM users",
            "SELECT 1; SELECT 2",
            "WITH x AS (SELECT 1) DELETE FROM users",
            "DROP TABLE users",
            "")) {
      HttpResponse<Buffer> r =
          sendJson(
              authed(client, HttpMethod.POST, "/api/cache/users/query"),
              new JsonObject().put("sql", sql));
      assertEquals(400, r.statusCode(), sql);
      assertEquals(
          "sql", error(r).getJsonArray("details").getJsonObject(0).getString("field"), sql);
    }
    HttpResponse<Buffer> params =
        sendJson(
            authed(client, HttpMethod.POST, "/api/cache/users/query"),
            new JsonObject()
                .put("sql", "SELECT 1")
                .put("params", new JsonArray().add(new JsonObject())));
    assertEquals(400, params.statusCode());
    // A valid SELECT passes the screen; the entity has no cache and no entity manager answers: 503.
    HttpResponse<Buffer> ok =
        sendJson(
            authed(client, HttpMethod.POST, "/api/cache/users/query"),
            new JsonObject()
                .put("sql", "SELECT * FROM users WHERE name = ?")
                .put("params", new JsonArray().add("x'; DROP TABLE users; --")));
    assertEquals(503, ok.statusCode(), ok.bodyAsString());
  }

  @Test
  void unknownRoutesAndMethodsUseTheErrorShape() throws Exception {
    HttpResponse<Buffer> r = send(authed(client, HttpMethod.GET, "/api/nope"));
    assertEquals(404, r.statusCode());
    assertEquals("not_found", error(r).getString("code"));
    HttpResponse<Buffer> m = send(authed(client, HttpMethod.PATCH, "/api/entities"));
    assertEquals(405, m.statusCode());
    assertEquals("method_not_allowed", error(m).getString("code"));
  }

  @Test
  void jobsAndStatsReportUnavailableComponents() throws Exception {
    HttpResponse<Buffer> jobs = send(authed(client, HttpMethod.GET, "/api/jobs"));
    assertEquals(200, jobs.statusCode());
    assertEquals(0, jobs.bodyAsJsonObject().getJsonArray("jobs").size());
    assertEquals(4, jobs.bodyAsJsonObject().getJsonArray("unavailable").size());

    HttpResponse<Buffer> stats = send(authed(client, HttpMethod.GET, "/api/system/stats"));
    assertEquals(200, stats.statusCode());
    JsonObject s = stats.bodyAsJsonObject();
    assertTrue(s.getJsonObject("memory").getJsonObject("heap").getLong("used_bytes") > 0);
    assertTrue(s.getJsonObject("threads").getInteger("live") > 0);
    assertTrue(s.getJsonObject("runtime").getLong("uptime_ms") > 0);
    assertTrue(s.getJsonObject("cpu").getInteger("available_processors") > 0);
    assertNotNull(s.getJsonArray("pools"), "Micrometer is enabled, so pool gauges are listed");
    assertNull(s.getJsonObject("sqlite").getValue("open_connections"));
    assertNotNull(s.getJsonObject("sqlite").getString("error"));

    assertEquals(503, send(authed(client, HttpMethod.GET, "/api/replication/stats")).statusCode());
    assertEquals(
        503, send(authed(client, HttpMethod.POST, "/api/replication/recreate/users")).statusCode());
  }

  @Test
  void metricsExposeHttpAndEventBusMeters() throws Exception {
    send(client.get("/health"));
    assertEquals(401, send(client.get("/metrics")).statusCode());
    HttpResponse<Buffer> r = send(authed(client, HttpMethod.GET, "/metrics"));
    assertEquals(200, r.statusCode());
    assertTrue(r.getHeader("Content-Type").startsWith("text/plain"));
    String text = r.bodyAsString();
    assertTrue(text.contains("vertx_http_server_requests_total"), "HTTP server metrics");
    assertTrue(text.contains("vertx_eventbus_"), "event-bus metrics");
  }

  @Test
  void corsAllowsOnlyConfiguredOrigins() throws Exception {
    HttpResponse<Buffer> allowed =
        send(
            client
                .request(HttpMethod.OPTIONS, "/api/entities")
                .putHeader("Origin", "http://allowed.example")
                .putHeader("Access-Control-Request-Method", "GET")
                .putHeader("Access-Control-Request-Headers", "Authorization"));
    assertEquals("http://allowed.example", allowed.getHeader("Access-Control-Allow-Origin"));
    HttpResponse<Buffer> other =
        send(client.get("/health").putHeader("Origin", "http://evil.example"));
    assertEquals(403, other.statusCode());
    assertEquals("origin not allowed (api.cors_origins)", error(other).getString("message"));
    assertNull(other.getHeader("Access-Control-Allow-Origin"));
    // no Origin header (curl, servers): no CORS involved
    assertEquals(503, send(client.get("/health")).statusCode());
  }

  @Test
  void openApiDocumentIsServed() throws Exception {
    HttpResponse<Buffer> r = send(client.get("/openapi.yaml"));
    assertEquals(200, r.statusCode());
    assertTrue(r.bodyAsString().startsWith("openapi: 3."));
  }
}
