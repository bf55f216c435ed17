package io.emcachers.launcher.e2e;

import static io.emcachers.launcher.e2e.PipelineHarness.col;
import static io.emcachers.launcher.e2e.PipelineHarness.entity;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import com.mongodb.reactivestreams.client.MongoCollection;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.devservices.DevMongo;
import io.emcachers.devservices.DevPostgres;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard against one real node (all roles, real PostgreSQL, the MongoDB wire-protocol
 * server, SQLite files): every entry of its data contract is called the way the page calls it and
 * every field the page reads must be in the real answer, status-feed events included (over the same
 * subprotocol key a browser sends); then headless Chromium loads the page, is refused everything
 * but health until the key is entered, and fills the entity table and the charts from the API and
 * the feed. The browser part skips (JUnit assumption) where no Chromium binary exists. Set {@code
 * -Demc.dashboard.screenshot=PATH} to keep the screenshot there (docs/dashboard.png was made so);
 * it is always written to target/dashboard.png.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardIT {

  static final Duration DEADLINE = Duration.ofSeconds(60);
  static final String KEY = "test-key";
  static final String ENTITY = "dash_users";
  static final int DOCS = 300;

  static final JsonArray COLUMNS =
      new JsonArray()
          .add(col("id", "Text", "_id"))
          .add(col("name", "Text", "name"))
          .add(col("age", "Integer", "age"));

  @TempDir static Path dataDir;

  static DevPostgres pg;
  static DevMongo mongoServer;
  static PipelineHarness app;
  static MongoClient source;
  static HttpClient http;
  static JsonObject contract;
  static int port;
  static final AtomicInteger written = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    pg = DevPostgres.startTemporary();
    mongoServer = DevMongo.start(0);
    JsonObject cfg =
        PipelineHarness.config(
            pg, mongoServer, dataDir.resolve("node"), "oplog", "replicator", "listener", "api");
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    cfg.getJsonObject("api").put("port", port).put("host", "127.0.0.1");
    app = PipelineHarness.start(cfg);
    source = MongoClients.create(mongoServer.url("app"));
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    contract = DashboardContract.load();
    insert(DOCS);
    app.create(entity(ENTITY, ENTITY, COLUMNS));
    await()
        .atMost(DEADLINE)
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                app.get(ENTITY).entity().status() == EntityStatus.live
                    && SqliteRows.rows(app.dataDir, ENTITY).size() == DOCS);
  }

  @AfterAll
  static void stop() throws Exception {
    if (source != null) {
      source.close();
    }
    if (app != null) {
      app.close();
    }
    if (mongoServer != null) {
      mongoServer.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  static MongoCollection<BsonDocument> users() {
    return source.getDatabase("app").getCollection(ENTITY, BsonDocument.class);
  }

  static void insert(int n) {
    List<BsonDocument> docs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int k = written.incrementAndGet();
      docs.add(
          new BsonDocument("_id", new BsonString("u-" + k))
              .append("name", new BsonString("user " + k))
              .append("age", new BsonInt32(20 + k % 50)));
    }
    ReactiveMongo.all(users().insertMany(docs));
  }

  // ------------------------------------------------------------------ calls as the page makes them

  record Answer(int status, Object body) {
    JsonObject json() {
      return (JsonObject) body;
    }
  }

  static Answer call(String name, Map<String, String> params, Object body) throws Exception {
    JsonObject entry = contract.getJsonObject(name);
    String path = entry.getString("path");
    for (Map.Entry<String, String> p : params.entrySet()) {
      path = path.replace("{" + p.getKey() + "}", p.getValue());
    }
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(30))
            .header("Accept", "application/json");
    if (!"open".equals(entry.getString("auth"))) {
      request.header("Authorization", "Bearer " + KEY);
    }
    HttpRequest.BodyPublisher publisher =
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(
                body instanceof JsonObject j ? j.encode() : body.toString());
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    request.method(entry.getString("method"), publisher);
    HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    String text = r.body();
    Object parsed = text.isBlank() ? null : io.vertx.core.json.Json.decodeValue(text);
    return new Answer(r.statusCode(), parsed);
  }

  static Answer call(String name) throws Exception {
    return call(name, Map.of(), null);
  }

  static void assertFields(String name, Answer answer) {
    List<String> missing = DashboardContract.missing(answer.body(), fieldsOf(name));
    assertTrue(
        missing.isEmpty(),
        name + " (HTTP " + answer.status() + ") lacks " + missing + ": " + answer);
  }

  static List<String> fieldsOf(String name) {
    return DashboardContract.fields(contract.getJsonObject(name));
  }

  static void assertOk(String name, Answer answer, int... statuses) {
    boolean ok = answer.status() >= 200 && answer.status() < 300;
    JsonArray accept = contract.getJsonObject(name).getJsonArray("accept", new JsonArray());
    assertTrue(ok || accept.contains(answer.status()), name + " answered " + answer);
    for (int s : statuses) {
      if (s == answer.status()) {
        return;
      }
    }
    assertTrue(statuses.length == 0, name + " answered " + answer);
  }

  /** The status feed as the page opens it: the key as a subprotocol entry, no header. */
  static WebSocket feed(List<JsonObject> events) throws Exception {
    JsonObject f = contract.getJsonObject("feed");
    String keyProtocol =
        f.getString("key_prefix")
            + Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(KEY.getBytes(StandardCharsets.UTF_8));
    WebSocket.Listener listener =
        new WebSocket.Listener() {
          final StringBuilder partial = new StringBuilder();

          @Override
          public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
              events.add(new JsonObject(partial.toString()));
              partial.setLength(0);
            }
            ws.request(1);
            return null;
          }
        };
    WebSocket ws =
        http.newWebSocketBuilder()
            .subprotocols(f.getString("protocol"), keyProtocol)
            .buildAsync(URI.create("ws://127.0.0.1:" + port + f.getString("path")), listener)
            .get(20, TimeUnit.SECONDS);
    assertEquals(f.getString("protocol"), ws.getSubprotocol());
    return ws;
  }

  /** The feed event kinds whose fields no received event of the kind carries yet. */
  static List<String> unmetEventKinds(List<JsonObject> events) {
    JsonObject kinds = contract.getJsonObject("feed").getJsonObject("events");
    List<String> unmet = new ArrayList<>();
    for (String kind : kinds.fieldNames()) {
      JsonObject spec = kinds.getJsonObject(kind);
      JsonObject match = spec.getJsonObject("match");
      List<String> fields = DashboardContract.fields(spec);
      boolean met =
          events.stream()
              .filter(
                  e ->
                      match.fieldNames().stream()
                          .allMatch(
                              k -> java.util.Objects.equals(match.getValue(k), e.getValue(k))))
              .filter(e -> !"entity".equals(kind) || e.getString("entity") != null)
              .anyMatch(e -> DashboardContract.missing(e, fields).isEmpty());
      if (!met) {
        unmet.add(kind + " " + match.encode() + " with " + fields);
      }
    }
    return unmet;
  }

  // ------------------------------------------------------------------ tests

  @Test
  @Order(1)
  void everyFieldTheDashboardReadsIsInTheRealResponses() throws Exception {
    List<JsonObject> events = new CopyOnWriteArrayList<>();
    WebSocket ws = feed(events);
    try {
      // a second entity: its status events, and something to delete at the end
      String extra = "dash_extra";
      Answer created = call("create", Map.of(), entity(extra, extra, COLUMNS).encode());
      assertOk("create", created, 201);
      assertFields("create", created);

      Answer invalid =
          call(
              "create",
              Map.of(),
              entity("dash_bad", "dash_bad", new JsonArray().add(col("id", "Strnig", "_id"))));
      assertEquals(400, invalid.status(), invalid.toString());
      assertFields("error", invalid);
      assertEquals(
          "shape.columns[0].type",
          invalid
              .json()
              .getJsonObject("error")
              .getJsonArray("details")
              .getJsonObject(0)
              .getString("field"));

      insert(50); // replication progress on the feed
      await("status feed events with every field the page reads")
          .atMost(DEADLINE)
          .pollInterval(Duration.ofMillis(200))
          .until(() -> unmetEventKinds(events).isEmpty());

      for (String name : List.of("health", "detailed", "entities", "jobs", "cluster")) {
        Answer a = call(name);
        assertOk(name, a);
        assertFields(name, a);
      }
      await("replication stats of both entities")
          .atMost(DEADLINE)
          .untilAsserted(
              () -> {
                Answer a = call("replication");
                assertOk("replication", a);
                assertFields("replication", a);
              });

      String sql = contract.getJsonObject("rows").getString("sql").replace("{entity}", ENTITY);
      await("the cache's row count")
          .atMost(DEADLINE)
          .untilAsserted(
              () -> {
                Answer rows =
                    call("rows", Map.of("entity", ENTITY), new JsonObject().put("sql", sql));
                assertOk("rows", rows, 200);
                assertFields("rows", rows);
                assertEquals(
                    (long) written.get(),
                    rows.json().getJsonArray("rows").getJsonObject(0).getLong("n"));
              });

      Answer verify = call("verify", Map.of("name", ENTITY), new JsonObject());
      assertOk("verify", verify, 202);
      assertFields("verify", verify);
      await("a verification run listed")
          .atMost(DEADLINE)
          .untilAsserted(
              () -> {
                Answer a = call("verifications");
                assertOk("verifications", a);
                assertFields("verifications", a);
              });

      Answer recreate = call("recreate", Map.of("entity", ENTITY), null);
      assertOk("recreate", recreate, 202);
      assertFields("recreate", recreate);

      Answer deleted = call("delete", Map.of("name", extra), null);
      assertOk("delete", deleted, 200);
      assertFields("delete", deleted);
      assertEquals("deleted", deleted.json().getString("status"));
    } finally {
      ws.abort();
    }
  }

  @Test
  @Order(2)
  void theDashboardFillsItsTableAndChartInHeadlessChromium() throws Exception {
    Optional<Path> binary = HeadlessChromium.find();
    assumeTrue(
        binary.isPresent(),
        "no Chromium binary (chromium, chromium-browser, google-chrome on PATH, or EMC_CHROMIUM):"
            + " the browser check is skipped; on Debian: apt-get install -y chromium");
    ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor();
    try (HeadlessChromium browser = HeadlessChromium.start(binary.get(), 1400, 1900)) {
      browser.navigate("http://127.0.0.1:" + port + "/");
      await("the page without a key")
          .atMost(DEADLINE)
          .until(() -> "locked".equals(browser.evaluate("document.body.dataset.state")));
      assertEquals(
          true,
          browser.evaluate(
              "document.getElementById('app').hidden"
                  + " && !document.getElementById('locked').hidden"
                  + " && document.getElementById('locked').textContent.includes('Enter the API key')"));
      await("health without a key")
          .atMost(DEADLINE)
          .until(
              () ->
                  String.valueOf(
                          browser.evaluate("document.getElementById('health-badge').textContent"))
                      .startsWith("health "));

      browser.evaluate(
          "document.getElementById('key-input').value = '"
              + KEY
              + "'; document.getElementById('key-form').requestSubmit(); true");
      await("the entity table")
          .atMost(DEADLINE)
          .until(
              () ->
                  "unlocked".equals(browser.evaluate("document.body.dataset.state"))
                      && Integer.parseInt(
                              String.valueOf(
                                  browser.evaluate("document.body.dataset.entityRows || '0'")))
                          >= 1);
      await("the cache's row count in the table")
          .atMost(DEADLINE)
          .until(
              () ->
                  String.valueOf(written.get())
                      .equals(
                          String.valueOf(
                                  browser.evaluate(
                                      "(document.querySelector('tr[data-entity=\""
                                          + ENTITY
                                          + "\"] td:nth-child(3)') || {}).textContent"))
                              .replace(",", "")));

      // writes while the page watches: progress events reach the chart
      writer.scheduleAtFixedRate(() -> insert(20), 0, 250, TimeUnit.MILLISECONDS);
      await("status events in the chart")
          .atMost(DEADLINE)
          .pollInterval(Duration.ofMillis(250))
          .until(
              () ->
                  Boolean.TRUE.equals(
                      browser.evaluate(
                          "Number(document.body.dataset.statusEvents || 0) > 0"
                              + " && Number(document.body.dataset.applyPeak || 0) > 0"
                              + " && Number(document.body.dataset.chartSamples || 0) >= 20")));

      // a definition the API refuses: its error appears on the line of the field it names
      browser.evaluate(
          "(() => { const t = document.querySelector('#create-editor textarea');"
              + " t.value = t.value.replace('\"Number\"', '\"Numbr\"');"
              + " t.dispatchEvent(new Event('input'));"
              + " document.getElementById('create-submit').click(); return true; })()");
      await("the validation error next to its field")
          .atMost(DEADLINE)
          .until(
              () ->
                  String.valueOf(
                          browser.evaluate(
                              "(document.querySelector('.editor-note') || {}).textContent"))
                      .contains("shape.columns[1].type"));
      String keep = System.getProperty("emc.dashboard.screenshot");
      if (keep != null && !keep.isBlank()) {
        // for the README's picture: a minute and a half of writes on the chart
        await("a longer chart for the screenshot")
            .atMost(Duration.ofSeconds(180))
            .pollInterval(Duration.ofSeconds(1))
            .until(
                () ->
                    Boolean.TRUE.equals(
                        browser.evaluate("Number(document.body.dataset.chartSamples) >= 90")));
      }
      writer.shutdownNow();

      byte[] png = browser.screenshot();
      Files.write(Path.of("target", "dashboard.png"), png);
      if (keep != null && !keep.isBlank()) {
        Files.write(Path.of(keep), png);
      }
      assertTrue(png.length > 10_000, "a screenshot of the page: " + png.length + " bytes");
    } finally {
      writer.shutdownNow();
    }
  }
}
