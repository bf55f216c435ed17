package io.emcachers.launcher.e2e;

import static io.emcachers.launcher.e2e.PipelineHarness.col;
import static io.emcachers.launcher.e2e.PipelineHarness.entity;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.devservices.DevMongo;
import io.emcachers.devservices.DevPostgres;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code conf/grafana/emcachers-dashboard.json} against {@code /metrics} of one real node (all
 * roles, real PostgreSQL, the MongoDB wire-protocol server): every metric name a panel or variable
 * queries, and every label it filters or groups by, is in the node's Prometheus text. The counters
 * that exist only once something happened are made to happen for real: a document whose value does
 * not fit its column (a coercion error), and the MongoDB server restarted under the listener (a
 * change stream restart).
 */
class GrafanaDashboardIT {

  static final Path DASHBOARD = Path.of("..", "conf", "grafana", "emcachers-dashboard.json");

  /** Labels Prometheus adds when it scrapes, not in a node's own text. */
  static final Set<String> SCRAPE_LABELS = Set.of("instance", "job");

  static final Pattern METRIC = Pattern.compile("\\b((?:emc|jvm|vertx|process)_[a-z0-9_]+)\\b");
  static final Pattern SELECTOR = Pattern.compile("\\b([a-z_][a-z0-9_]*)\\{([^}]*)\\}");
  static final Pattern MATCHER = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(?:=~|!~|!=|=)");
  static final Pattern GROUPING = Pattern.compile("\\b(?:by|without)\\s*\\(([^)]*)\\)");
  static final Pattern LABEL_VALUES =
      Pattern.compile(
          "label_values\\(\\s*([a-z_][a-z0-9_]*)(?:\\{[^}]*\\})?\\s*,\\s*([a-z_]+)\\s*\\)");

  @TempDir static Path dataDir;

  static DevPostgres pg;
  static DevMongo mongoServer;
  static PipelineHarness app;
  static int port;

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
  }

  @AfterAll
  static void stop() throws Exception {
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

  /** Every query text of the dashboard: panel targets and variable queries, by where they are. */
  static Map<String, String> queries(JsonObject dashboard) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Object p : dashboard.getJsonArray("panels")) {
      JsonObject panel = (JsonObject) p;
      for (Object t : panel.getJsonArray("targets", new JsonArray())) {
        JsonObject target = (JsonObject) t;
        out.put(
            panel.getString("title") + " / " + target.getString("refId"), target.getString("expr"));
      }
    }
    for (Object v : dashboard.getJsonObject("templating").getJsonArray("list")) {
      JsonObject variable = (JsonObject) v;
      if ("query".equals(variable.getString("type"))) {
        out.put("variable $" + variable.getString("name"), variable.getString("definition"));
      }
    }
    return out;
  }

  /** Metric name → the label names its samples carry, from Prometheus text. */
  static Map<String, Set<String>> exposed(String text) {
    Map<String, Set<String>> out = new TreeMap<>();
    for (String line : text.split("\n")) {
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.indexOf(' ');
      String name = line.substring(0, brace >= 0 && brace < space ? brace : space);
      Set<String> labels = out.computeIfAbsent(name, n -> new TreeSet<>());
      if (brace >= 0 && brace < space) {
        Matcher m = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"").matcher(line.substring(brace));
        while (m.find()) {
          labels.add(m.group(1));
        }
      }
    }
    return out;
  }

  static String metrics() throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .header("Authorization", "Bearer test-key")
                    .timeout(Duration.ofSeconds(30))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return r.body();
  }

  /** What the dashboard asks for that the text lacks: metric names, and labels per metric. */
  static List<String> unmet(Map<String, String> queries, Map<String, Set<String>> exposed) {
    List<String> problems = new ArrayList<>();
    queries.forEach(
        (where, expr) -> {
          Set<String> names = new TreeSet<>();
          Matcher m = METRIC.matcher(expr);
          while (m.find()) {
            names.add(m.group(1));
          }
          if (names.isEmpty()) {
            problems.add(where + ": no metric found in " + expr);
          }
          Set<String> labels = new TreeSet<>();
          Matcher s = SELECTOR.matcher(expr);
          while (s.find()) {
            Matcher l = MATCHER.matcher(s.group(2));
            while (l.find()) {
              labels.add(l.group(1));
            }
          }
          Matcher g = GROUPING.matcher(expr);
          while (g.find()) {
            for (String l : g.group(1).split(",")) {
              if (!l.isBlank()) {
                labels.add(l.trim());
              }
            }
          }
          Matcher lv = LABEL_VALUES.matcher(expr);
          while (lv.find()) {
            labels.add(lv.group(2));
          }
          labels.removeAll(SCRAPE_LABELS);
          for (String name : names) {
            Set<String> have = exposed.get(name);
            if (have == null) {
              problems.add(where + ": " + name + " is not in /metrics");
            } else if (!have.containsAll(labels)) {
              Set<String> lacking = new TreeSet<>(labels);
              lacking.removeAll(have);
              problems.add(
                  where + ": " + name + " has no label " + lacking + " (has " + have + ")");
            }
          }
        });
    return problems;
  }

  @Test
  void everyMetricTheGrafanaDashboardQueriesIsExposedByANode() throws Exception {
    JsonObject dashboard = new JsonObject(Files.readString(DASHBOARD));
    assertFalse(dashboard.getString("uid").isBlank());
    Set<Integer> ids = new TreeSet<>();
    for (Object p : dashboard.getJsonArray("panels")) {
      assertTrue(ids.add(((JsonObject) p).getInteger("id")), "panel ids are unique");
    }
    Map<String, String> queries = queries(dashboard);
    assertTrue(queries.size() >= 12, "queries: " + queries.keySet());

    // a cache with a value that does not fit its column: lag, apply and coercion meters
    try (MongoClient source = MongoClients.create(mongoServer.url("app"))) {
      var users = source.getDatabase("app").getCollection("graf_users", BsonDocument.class);
      List<BsonDocument> docs = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        docs.add(new BsonDocument("_id", new BsonString("g-" + i)).append("age", new BsonInt32(i)));
      }
      docs.add(
          new BsonDocument("_id", new BsonString("g-odd"))
              .append("age", new BsonDocument("not", new BsonString("a number"))));
      ReactiveMongo.all(users.insertMany(docs));
      app.create(
          entity(
              "graf_users",
              "graf_users",
              new JsonArray().add(col("id", "Text", "_id")).add(col("age", "Integer", "age"))));
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> app.get("graf_users").entity().status() == EntityStatus.live);
      ReactiveMongo.all(
          users.insertOne(
              new BsonDocument("_id", new BsonString("g-streamed"))
                  .append("age", new BsonInt32(7))));
    }
    await("the streamed row applied")
        .atMost(Duration.ofSeconds(60))
        .until(() -> SqliteRows.rows(app.dataDir, "graf_users").containsKey("g-streamed"));

    // the MongoDB server goes away under the open change stream and comes back on its port
    int mongoPort = mongoServer.port();
    mongoServer.close();
    mongoServer = DevMongo.start(mongoPort);

    await("every queried metric and label in /metrics")
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              List<String> problems = unmet(queries, exposed(metrics()));
              assertTrue(problems.isEmpty(), String.join("\n", problems));
            });
  }
}
