package io.emcachers.api;

import static io.emcachers.api.ApiTestSupport.KEY;
import static io.emcachers.api.ApiTestSupport.authed;
import static io.emcachers.api.ApiTestSupport.error;
import static io.emcachers.api.ApiTestSupport.send;
import static io.emcachers.api.ApiTestSupport.sendJson;
import static io.emcachers.testsupport.Await.await;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.cache.CacheDbVerticle;
import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.messages.ScanEndReply;
import io.emcachers.core.messages.ScanEndRequest;
import io.emcachers.core.messages.StatusEvent;
import io.emcachers.core.model.Operation;
import io.emcachers.devservices.DevPostgres;
import io.emcachers.oplog.OplogVerticle;
import io.emcachers.replicator.ReplicatorVerticle;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API against the real parts: PostgreSQL (DevPostgres) with the real oplog verticle, and the
 * real replicator and cache-db manager on SQLite files in a temporary directory. Documents reach
 * the caches the way the listener puts them there: scan batches on {@code emc.oplog.append}, then
 * the scan end that makes the entity live.
 */
class ApiEndToEndTest {

  static final String NODE = "node-a";

  @TempDir static Path dataDir;

  static DevPostgres pg;
  static Vertx vertx;
  static ApiVerticle api;
  static WebClient client;

  @BeforeAll
  static void start() throws Exception {
    pg = DevPostgres.startTemporary();
    vertx = TestVertx.withMetrics();
    JsonObject root = ApiTestSupport.rootConfig(KEY, false);
    root.getJsonObject("api")
        .put("cors_origins", new JsonArray()); // WebSocket clients here send their own Origin
    root.put("node_id", NODE)
        .put("data_dir", dataDir.toString())
        .put("postgres", new JsonObject().put("url", pg.url()).put("pool_size", 4))
        .put("oplog", new JsonObject().put("standby_retry_ms", 200))
        .put(
            "replicator",
            new JsonObject().put("poll_interval_ms", 200).put("status_interval_ms", 200))
        .put("cache", new JsonObject().put("query_max_rows", 50).put("query_timeout_ms", 3000));
    DeploymentOptions options = new DeploymentOptions().setConfig(root);
    await(vertx.deployVerticle(new OplogVerticle(), options));
    await().atMost(Duration.ofSeconds(30)).until(() -> "leader".equals(oplogHealth().state()));
    await(vertx.deployVerticle(new CacheDbVerticle(), options));
    await(vertx.deployVerticle(new ReplicatorVerticle(), options));
    api = ApiTestSupport.deployApi(vertx, root);
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

  static HealthReply oplogHealth() {
    try {
      return await(
          Bus.request(
              vertx.eventBus(), Addresses.OPLOG_HEALTH, new HealthRequest(), HealthReply.class));
    } catch (Exception e) {
      return new HealthReply("oplog", false, "unreachable", null);
    }
  }

  static JsonObject definition(String name) {
    return new JsonObject()
        .put("name", name)
        .put(
            "shape",
            new JsonObject()
                .put("entity_name", "User")
                .put("source_name", name)
                .put(
                    "columns",
                    new JsonArray()
                        .add(col("id", "Text", "_id"))
                        .add(col("name", "Text", "name"))
                        .add(col("age", "Integer", "age"))));
  }

  static JsonObject col(String name, String type, String path) {
    return new JsonObject().put("name", name).put("type", type).put("path", path);
  }

  static HttpResponse<Buffer> create(String name) throws Exception {
    return sendJson(authed(client, HttpMethod.POST, "/api/entities"), definition(name));
  }

  /**
   * Creates {@code entity} through the API, scans {@code count} documents into the oplog, ends the
   * scan (entity live).
   */
  static long createLiveWithDocs(String entity, int count) throws Exception {
    assertEquals(201, create(entity).statusCode());
    List<OplogEntry> entries = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      String id = "u" + i;
      entries.add(
          new OplogEntry(
              Operation.Upsert,
              entity,
              id,
              new JsonObject().put("id", id).put("name", "user " + i).put("age", 20 + i)));
    }
    AppendResult result =
        await(
            Bus.request(
                vertx.eventBus(),
                Addresses.OPLOG_APPEND,
                AppendBatch.scan(entity, new JsonObject().put("v", "u" + count), entries),
                AppendResult.class));
    await(
        Bus.request(
            vertx.eventBus(),
            Addresses.OPLOG_SCAN_END,
            new ScanEndRequest(entity),
            ScanEndReply.class));
    return result.lastId();
  }

  static void awaitCached(String entity, String docId) {
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                send(authed(client, HttpMethod.GET, "/api/cache/" + entity + "/docs/" + docId))
                        .statusCode()
                    == 200);
  }

  // ---- entities ----

  @Test
  void entityLifecycle() throws Exception {
    HttpResponse<Buffer> created = create("people");
    assertEquals(201, created.statusCode(), created.bodyAsString());
    assertEquals("/api/entities/people", created.getHeader("Location"));
    JsonObject e = created.bodyAsJsonObject();
    assertEquals("people", e.getString("name"));
    assertEquals("pending", e.getString("status"));
    assertEquals(1L, e.getLong("version"));
    assertNotNull(e.getString("created_at"));
    assertNotNull(e.getString("updated_at"));

    HttpResponse<Buffer> conflict = create("people");
    assertEquals(409, conflict.statusCode());
    assertEquals("conflict", error(conflict).getString("code"));

    HttpResponse<Buffer> got = send(authed(client, HttpMethod.GET, "/api/entities/people"));
    assertEquals(200, got.statusCode());
    assertEquals("User", got.bodyAsJsonObject().getJsonObject("shape").getString("entity_name"));

    HttpResponse<Buffer> list = send(authed(client, HttpMethod.GET, "/api/entities"));
    assertEquals(200, list.statusCode());
    assertTrue(
        list.bodyAsJsonObject().getJsonArray("entities").stream()
            .anyMatch(o -> "people".equals(((JsonObject) o).getString("name"))));

    JsonObject changed = definition("people");
    changed.getJsonObject("shape").getJsonArray("columns").add(col("email", "Text", "email"));
    changed.remove("name"); // the path names it
    HttpResponse<Buffer> updated =
        sendJson(authed(client, HttpMethod.PUT, "/api/entities/people"), changed);
    assertEquals(200, updated.statusCode(), updated.bodyAsString());
    assertTrue(updated.bodyAsJsonObject().getLong("version") > 1);
    assertEquals(
        4, updated.bodyAsJsonObject().getJsonObject("shape").getJsonArray("columns").size());

    assertEquals(404, send(authed(client, HttpMethod.GET, "/api/entities/nobody")).statusCode());
    assertEquals(
        404,
        sendJson(authed(client, HttpMethod.PUT, "/api/entities/nobody"), definition("nobody"))
            .statusCode());
    assertEquals(404, send(authed(client, HttpMethod.DELETE, "/api/entities/nobody")).statusCode());

    HttpResponse<Buffer> deleted = send(authed(client, HttpMethod.DELETE, "/api/entities/people"));
    assertEquals(200, deleted.statusCode(), deleted.bodyAsString());
    assertEquals("deleted", deleted.bodyAsJsonObject().getString("status"));
    assertEquals(404, send(authed(client, HttpMethod.GET, "/api/entities/people")).statusCode());
  }

  // ---- oplog ----

  @Test
  void oplogReadsPageInIdOrder() throws Exception {
    createLiveWithDocs("orders", 3);
    HttpResponse<Buffer> first =
        send(authed(client, HttpMethod.GET, "/api/oplogs/orders?after=0&limit=2"));
    assertEquals(200, first.statusCode(), first.bodyAsString());
    JsonObject page = first.bodyAsJsonObject();
    JsonArray rows = page.getJsonArray("rows");
    assertEquals(2, rows.size());
    assertEquals("orders", rows.getJsonObject(0).getString("entity"));
    assertTrue(rows.getJsonObject(0).getLong("id") < rows.getJsonObject(1).getLong("id"));
    assertEquals(rows.getJsonObject(1).getLong("id"), page.getLong("next_after"));
    assertTrue(page.getLong("head_id") >= page.getLong("next_after"));

    JsonObject second =
        send(authed(
                client,
                HttpMethod.GET,
                "/api/oplogs/orders?after=" + page.getLong("next_after") + "&limit=2"))
            .bodyAsJsonObject();
    assertEquals(1, second.getJsonArray("rows").size());
    assertEquals("u3", second.getJsonArray("rows").getJsonObject(0).getString("doc_id"));

    HttpResponse<Buffer> batch =
        sendJson(
            authed(client, HttpMethod.POST, "/api/oplogs/batch"),
            new JsonObject()
                .put("entities", new JsonArray().add("orders").add("no_such_entity"))
                .put("after", 0)
                .put("limit", 100));
    assertEquals(200, batch.statusCode(), batch.bodyAsString());
    assertEquals(3, batch.bodyAsJsonObject().getJsonArray("rows").size());
    assertEquals(
        new JsonArray().add("orders").add("no_such_entity"),
        batch.bodyAsJsonObject().getJsonArray("entities"));
  }

  // ---- full-text search ----

  @Test
  void searchFindsRowsByTheirSearchColumnsAndRefusesBadQueries() throws Exception {
    JsonObject def = definition("searched");
    def.getJsonObject("shape").getJsonArray("columns").getJsonObject(1).put("search", true);
    HttpResponse<Buffer> created = sendJson(authed(client, HttpMethod.POST, "/api/entities"), def);
    assertEquals(201, created.statusCode(), created.bodyAsString());
    assertEquals(
        true,
        created
            .bodyAsJsonObject()
            .getJsonObject("shape")
            .getJsonArray("columns")
            .getJsonObject(1)
            .getBoolean("search"));
    List<OplogEntry> entries = new ArrayList<>();
    for (String[] u :
        new String[][] {{"s1", "Zoë Saldaña"}, {"s2", "Zoe Kravitz"}, {"s3", "Ada"}}) {
      entries.add(
          new OplogEntry(
              Operation.Upsert,
              "searched",
              u[0],
              new JsonObject().put("id", u[0]).put("name", u[1]).put("age", 30)));
    }
    await(
        Bus.request(
            vertx.eventBus(),
            Addresses.OPLOG_APPEND,
            AppendBatch.scan("searched", new JsonObject().put("v", "s3"), entries),
            AppendResult.class));
    await(
        Bus.request(
            vertx.eventBus(),
            Addresses.OPLOG_SCAN_END,
            new ScanEndRequest("searched"),
            ScanEndReply.class));
    awaitCached("searched", "s3");

    HttpResponse<Buffer> found =
        send(authed(client, HttpMethod.GET, "/api/cache/searched/search?q=zoe&limit=5"));
    assertEquals(200, found.statusCode(), found.bodyAsString());
    JsonObject body = found.bodyAsJsonObject();
    assertEquals(2, body.getInteger("count"), body.encode());
    assertEquals("zoe", body.getString("q"));
    JsonObject first = body.getJsonArray("rows").getJsonObject(0);
    assertTrue(first.getString("_snippet").contains("<mark>"), first.encode());
    assertNotNull(first.getValue("_rank"));
    assertEquals(30L, first.getLong("age"));
    assertEquals(
        1,
        send(authed(client, HttpMethod.GET, "/api/cache/searched/search?q=zoe&limit=1"))
            .bodyAsJsonObject()
            .getJsonArray("rows")
            .size());

    for (String bad : List.of("%22open", "a%20AND", "nosuch%3Ax")) {
      HttpResponse<Buffer> r =
          send(authed(client, HttpMethod.GET, "/api/cache/searched/search?q=" + bad));
      assertEquals(400, r.statusCode(), bad + ": " + r.bodyAsString());
      assertTrue(
          error(r).getString("message").contains("not a valid full-text query"), r.bodyAsString());
    }
    assertEquals(
        400, send(authed(client, HttpMethod.GET, "/api/cache/searched/search")).statusCode());
    assertEquals(
        400,
        send(authed(client, HttpMethod.GET, "/api/cache/searched/search?q=a&limit=0"))
            .statusCode());
    createLiveWithDocs("unsearched", 1);
    awaitCached("unsearched", "u1");
    HttpResponse<Buffer> none =
        send(authed(client, HttpMethod.GET, "/api/cache/unsearched/search?q=user"));
    assertEquals(400, none.statusCode(), none.bodyAsString());
    assertTrue(error(none).getString("message").contains("no search columns"));
  }

  // ---- cache reads ----

  @Test
  void cacheReadsDocsPagesAndQueries() throws Exception {
    createLiveWithDocs("cached_users", 5);
    awaitCached("cached_users", "u5");

    HttpResponse<Buffer> doc =
        send(authed(client, HttpMethod.GET, "/api/cache/cached_users/docs/u2"));
    assertEquals(200, doc.statusCode(), doc.bodyAsString());
    assertEquals("user 2", doc.bodyAsJsonObject().getString("name"));
    assertEquals(
        404,
        send(authed(client, HttpMethod.GET, "/api/cache/cached_users/docs/nope")).statusCode());

    JsonObject p1 =
        send(authed(client, HttpMethod.GET, "/api/cache/cached_users/docs?limit=2"))
            .bodyAsJsonObject();
    assertEquals(2, p1.getJsonArray("rows").size());
    assertNotNull(p1.getString("next"));
    JsonObject p2 =
        send(authed(
                client,
                HttpMethod.GET,
                "/api/cache/cached_users/docs?limit=10&after=" + p1.getString("next")))
            .bodyAsJsonObject();
    assertEquals(3, p2.getJsonArray("rows").size());

    HttpResponse<Buffer> q =
        sendJson(
            authed(client, HttpMethod.POST, "/api/cache/cached_users/query"),
            new JsonObject()
                .put("sql", "SELECT name, age FROM cached_users WHERE age > ? ORDER BY age")
                .put("params", new JsonArray().add(23)));
    assertEquals(200, q.statusCode(), q.bodyAsString());
    JsonArray rows = q.bodyAsJsonObject().getJsonArray("rows");
    assertEquals(2, rows.size());
    assertEquals(24L, rows.getJsonObject(0).getLong("age"));
    assertFalse(q.bodyAsJsonObject().getBoolean("truncated"));

    HttpResponse<Buffer> limited =
        sendJson(
            authed(client, HttpMethod.POST, "/api/cache/cached_users/query"),
            new JsonObject().put("sql", "SELECT * FROM cached_users").put("max_rows", 2));
    assertEquals(200, limited.statusCode(), limited.bodyAsString());
    assertEquals(2, limited.bodyAsJsonObject().getJsonArray("rows").size());
    assertTrue(limited.bodyAsJsonObject().getBoolean("truncated"));

    // Injection through params is harmless: it is a bound value.
    HttpResponse<Buffer> injected =
        sendJson(
            authed(client, HttpMethod.POST, "/api/cache/cached_users/query"),
            new JsonObject()
                .put("sql", "SELECT * FROM cached_users WHERE name = ?")
                .put("params", new JsonArray().add("x'; DROP TABLE cached_users; --")));
    assertEquals(200, injected.statusCode());
    assertEquals(0, injected.bodyAsJsonObject().getJsonArray("rows").size());

    for (String sql :
        List.of(
            "INSERT INTO cached_users(_doc_id) VALUES ('x')",
            "ATTACH DATABASE 'x.db' AS x",
            "PRAGMA query_only = 0",
            "PRAGMA journal_mode = DELETE",
            "SELECT 1; DELETE FROM cached_users",
            "DELETE FROM cached_users")) {
      HttpResponse<Buffer> r =
          sendJson(
              authed(client, HttpMethod.POST, "/api/cache/cached_users/query"),
              new JsonObject().put("sql", sql));
      assertEquals(400, r.statusCode(), sql);
    }
    // A SELECT the cache rejects (unknown table) comes back as a 4xx error, not a 500.
    HttpResponse<Buffer> bad =
        sendJson(
            authed(client, HttpMethod.POST, "/api/cache/cached_users/query"),
            new JsonObject().put("sql", "SELECT * FROM no_table"));
    assertEquals(400, bad.statusCode(), bad.bodyAsString());

    assertEquals(
        5,
        send(authed(client, HttpMethod.GET, "/api/cache/cached_users/docs"))
            .bodyAsJsonObject()
            .getJsonArray("rows")
            .size(),
        "nothing was written or dropped");

    HttpResponse<Buffer> unknown =
        send(authed(client, HttpMethod.GET, "/api/cache/never_created/docs/u1"));
    assertEquals(404, unknown.statusCode());
    assertTrue(error(unknown).getString("message").contains("unknown entity"));
  }

  @Test
  void cacheOfAPendingEntityIsNotReady() throws Exception {
    assertEquals(201, create("still_pending").statusCode());
    HttpResponse<Buffer> r = send(authed(client, HttpMethod.GET, "/api/cache/still_pending/docs"));
    assertEquals(503, r.statusCode(), r.bodyAsString());
    assertEquals("cache_not_ready", error(r).getString("code"));
  }

  // ---- replication ----

  @Test
  void replicationStatsShowThisNodeAndNodesSeenOnTheFeed() throws Exception {
    createLiveWithDocs("repl_users", 2);
    awaitCached("repl_users", "u2");
    // Another node's replicator, known only from its progress events on the feed.
    vertx
        .eventBus()
        .publish(
            Addresses.STATUS,
            StatusEvent.of(
                StatusEvent.TYPE_PROGRESS,
                "replicator",
                "repl_users",
                "live",
                new JsonObject()
                    .put("node", "node-b")
                    .put("last_applied_id", 1)
                    .put("head_id", 2)
                    .put("lag_rows", 1)));
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              HttpResponse<Buffer> r =
                  send(authed(client, HttpMethod.GET, "/api/replication/stats"));
              assertEquals(200, r.statusCode(), r.bodyAsString());
              JsonArray nodes = r.bodyAsJsonObject().getJsonArray("nodes");
              JsonObject a = node(nodes, NODE);
              JsonObject b = node(nodes, "node-b");
              assertNotNull(a, nodes.encode());
              assertNotNull(b, nodes.encode());
              assertEquals("status_feed", b.getString("source"));
              assertEquals(
                  1L, b.getJsonObject("entities").getJsonObject("repl_users").getLong("lag_rows"));
              assertTrue(a.getJsonObject("entities").containsKey("repl_users"), a.encode());
            });
  }

  static JsonObject node(JsonArray nodes, String id) {
    return nodes.stream()
        .map(o -> (JsonObject) o)
        .filter(n -> id.equals(n.getString("node")))
        .findFirst()
        .orElse(null);
  }

  @Test
  void recreateIsAccepted() throws Exception {
    createLiveWithDocs("rebuilt", 2);
    awaitCached("rebuilt", "u2");
    HttpResponse<Buffer> r =
        send(authed(client, HttpMethod.POST, "/api/replication/recreate/rebuilt"));
    assertEquals(202, r.statusCode(), r.bodyAsString());
    assertNotNull(r.bodyAsJsonObject().getString("job_id"));
    assertEquals("rebuilt", r.bodyAsJsonObject().getString("entity"));
    assertEquals(401, send(client.post("/api/replication/recreate/rebuilt")).statusCode());
    // the rebuilt cache serves reads again
    awaitCached("rebuilt", "u1");
  }

  // ---- system, jobs, health, metrics ----

  @Test
  void systemStatsCountOpenSqliteConnections() throws Exception {
    createLiveWithDocs("stats_users", 1);
    awaitCached("stats_users", "u1");
    HttpResponse<Buffer> r = send(authed(client, HttpMethod.GET, "/api/system/stats"));
    assertEquals(200, r.statusCode());
    JsonObject sqlite = r.bodyAsJsonObject().getJsonObject("sqlite");
    assertNull(sqlite.getString("error"), sqlite.encode());
    assertEquals(NODE, sqlite.getString("node"));
    assertNotNull(
        sqlite.getValue("open_connections"),
        "CACHE_HEALTH reports open connections: " + sqlite.encode());
    assertTrue(sqlite.getInteger("open_connections") >= 1, sqlite.encode());
  }

  @Test
  void jobsAggregateEveryComponent() throws Exception {
    HttpResponse<Buffer> r = send(authed(client, HttpMethod.GET, "/api/jobs"));
    assertEquals(200, r.statusCode());
    JsonArray jobs = r.bodyAsJsonObject().getJsonArray("jobs");
    assertTrue(
        jobs.stream()
            .map(o -> (JsonObject) o)
            .anyMatch(j -> "oplog".equals(j.getString("component")) && j.getString("name") != null),
        jobs.encode());
    for (Object o : jobs) {
      JsonObject j = (JsonObject) o;
      assertEquals(NODE, j.getString("node"));
      assertTrue(j.containsKey("last_outcome") && j.containsKey("run_count"), j.encode());
    }
    JsonArray unavailable = r.bodyAsJsonObject().getJsonArray("unavailable");
    assertEquals(
        1, unavailable.size(), "only the listener is not deployed here: " + unavailable.encode());
    assertEquals("listener", unavailable.getJsonObject(0).getString("component"));
  }

  @Test
  void detailedHealthReportsEachComponent() throws Exception {
    HttpResponse<Buffer> r = send(authed(client, HttpMethod.GET, "/health/detailed"));
    JsonObject body = r.bodyAsJsonObject();
    assertEquals(
        503, r.statusCode(), "the listener is not deployed in this test: " + body.encode());
    JsonObject byId = new JsonObject();
    body.getJsonArray("checks").forEach(o -> byId.put(((JsonObject) o).getString("id"), o));
    assertEquals("UP", byId.getJsonObject("postgres").getString("status"), body.encode());
    assertEquals("UP", byId.getJsonObject("oplog").getString("status"));
    assertEquals("leader", byId.getJsonObject("oplog").getJsonObject("data").getString("state"));
    assertEquals("UP", byId.getJsonObject("replicator").getString("status"), body.encode());
    assertEquals("UP", byId.getJsonObject("cache-db").getString("status"), body.encode());
    assertEquals("DOWN", byId.getJsonObject("listener").getString("status"));
    assertTrue(
        byId.getJsonObject("listener").getString("reason").contains(Addresses.LISTENER_HEALTH));
    assertEquals("DOWN", byId.getJsonObject("mongodb").getString("status"));
    // the real oplog reports its postgresql circuit breaker
    assertEquals(
        "closed",
        byId.getJsonObject("postgres")
            .getJsonObject("data")
            .getJsonObject("circuit")
            .getString("state"),
        body.encode());
    assertEquals(
        "closed",
        body.getJsonObject("circuits").getJsonObject("postgresql").getString("state"),
        body.encode());
    assertEquals(
        "oplog", body.getJsonObject("circuits").getJsonObject("postgresql").getString("via"));

    JsonObject live = send(client.get("/health")).bodyAsJsonObject();
    assertEquals(
        new JsonArray().add("listener").add("mongodb"),
        new JsonArray(
            new ArrayList<>(new java.util.TreeSet<>(live.getJsonObject("failing").fieldNames()))));
  }

  @Test
  void metricsExposeLagGaugesAndVertxMeters() throws Exception {
    createLiveWithDocs("metric_users", 1);
    awaitCached("metric_users", "u1");
    String text = send(authed(client, HttpMethod.GET, "/metrics")).bodyAsString();
    assertTrue(text.contains("vertx_http_server_requests_total"), "HTTP server metrics");
    assertTrue(text.contains("vertx_eventbus_"), "event-bus metrics");
    assertTrue(
        text.contains("emc_oplog_entries_total{entity=\"metric_users\""),
        "the oplog verticle's counters, per entity");
    assertTrue(
        text.lines()
            .anyMatch(
                l ->
                    l.startsWith("emc_circuit_state{")
                        && l.contains("target=\"postgresql\"")
                        && l.endsWith(" 0.0")),
        "the postgresql breaker's state gauge (0 closed): "
            + text.lines().filter(l -> l.startsWith("emc_circuit")).toList());
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              String t = send(authed(client, HttpMethod.GET, "/metrics")).bodyAsString();
              assertTrue(
                  t.lines()
                      .anyMatch(
                          l ->
                              l.startsWith("emc_replicator_lag_rows{")
                                  && l.contains("entity=\"metric_users\"")),
                  "the per-entity lag gauge in rows: "
                      + t.lines().filter(l -> l.startsWith("emc_")).toList());
              assertTrue(
                  t.lines()
                      .anyMatch(
                          l ->
                              l.startsWith("emc_replicator_lag_seconds{")
                                  && l.contains("entity=\"metric_users\"")),
                  "the per-entity lag gauge in seconds");
              assertTrue(
                  t.lines()
                      .anyMatch(
                          l ->
                              l.startsWith("emc_replicator_last_applied_id{")
                                  && l.contains("entity=\"metric_users\"")
                                  && !l.endsWith(" 0.0")),
                  "the last applied id of the entity is exported");
            });
  }

  // ---- status feed ----

  @Test
  void webSocketDeliversAnEntityChangeWithinASecond() throws Exception {
    WebSocketClient wsClient = vertx.createWebSocketClient();
    List<JsonObject> filtered = new CopyOnWriteArrayList<>();
    VertxTestContext delivered = new VertxTestContext();
    WebSocket ws =
        await(
            wsClient.connect(
                new WebSocketConnectOptions()
                    .setHost("127.0.0.1")
                    .setPort(api.actualPort())
                    .setURI("/ws/status?entity=ws_watched")
                    .addHeader("Authorization", "Bearer " + KEY)));
    ws.textMessageHandler(
        text -> {
          JsonObject event = new JsonObject(text);
          filtered.add(event);
          if ("ws_watched".equals(event.getString("entity"))
              && "entity".equals(event.getString("type"))) {
            delivered.completeNow();
          }
        });
    assertEquals(201, create("ws_other").statusCode());
    assertEquals(201, create("ws_watched").statusCode());
    assertTrue(
        delivered.awaitCompletion(1, TimeUnit.SECONDS),
        "a status event within a second of the change");
    assertTrue(
        filtered.stream().allMatch(e -> "ws_watched".equals(e.getString("entity"))),
        "the filter holds: " + filtered);
    await(ws.close());

    // Without the key the upgrade is refused.
    Throwable refused =
        wsClient
            .connect(
                new WebSocketConnectOptions()
                    .setHost("127.0.0.1")
                    .setPort(api.actualPort())
                    .setURI("/ws/status"))
            .toCompletionStage()
            .toCompletableFuture()
            .handle((ok, err) -> err)
            .get(10, TimeUnit.SECONDS);
    assertNotNull(refused);
    await(wsClient.close());
  }

  @Test
  void sockJsBridgeRelaysOnlyTheStatusFeedOutbound() throws Exception {
    WebSocketClient wsClient = vertx.createWebSocketClient();
    List<JsonObject> frames = new CopyOnWriteArrayList<>();
    WebSocket ws =
        await(
            wsClient.connect(
                new WebSocketConnectOptions()
                    .setHost("127.0.0.1")
                    .setPort(api.actualPort())
                    .setURI("/eventbus/websocket")
                    .addHeader("Authorization", "Bearer " + KEY)));
    ws.handler(
        frame ->
            frames.add(new JsonObject(frame))); // the raw SockJS transport writes binary frames
    ws.writeTextMessage(
        new JsonObject().put("type", "register").put("address", Addresses.STATUS).encode());
    ws.writeTextMessage(
        new JsonObject()
            .put("type", "register")
            .put("address", Addresses.ENTITIES_CHANGED)
            .encode());
    ws.writeTextMessage(
        new JsonObject()
            .put("type", "send")
            .put("address", Addresses.ENTITIES_DELETE)
            .put("body", new JsonObject().put("name", "x"))
            .encode());
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertEquals(
                    2,
                    frames.stream().filter(f -> "err".equals(f.getString("type"))).count(),
                    frames.toString()));
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              vertx
                  .eventBus()
                  .publish(
                      Addresses.STATUS,
                      StatusEvent.of(
                          StatusEvent.TYPE_COMPONENT, "test", null, "ping", new JsonObject()));
              assertTrue(
                  frames.stream()
                      .anyMatch(
                          f ->
                              "rec".equals(f.getString("type"))
                                  && Addresses.STATUS.equals(f.getString("address"))
                                  && "ping".equals(f.getJsonObject("body").getString("state"))),
                  frames.toString());
            });
    assertTrue(
        frames.stream().noneMatch(f -> Addresses.ENTITIES_CHANGED.equals(f.getString("address"))));
    await(ws.close());
    await(wsClient.close());
  }
}
