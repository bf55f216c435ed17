package io.emcachers.launcher.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.devservices.DevMongo;
import io.emcachers.devservices.DevPostgres;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.MongoClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The app runs as a separate JVM ({@code target/emcachers.jar run}) and is killed with SIGKILL
 * while writes continue; after a restart every cache row equals the source document.
 */
class CrashRecoveryIT {

  static DevPostgres pg;
  static DevMongo mongoServer;
  static Vertx vertx;
  static MongoClient mongo;
  @TempDir static Path work;

  @BeforeAll
  static void start() {
    pg = DevPostgres.startTemporary();
    mongoServer = DevMongo.start(0);
    vertx = Vertx.vertx();
    mongo =
        MongoClient.createShared(
            vertx, new JsonObject().put("connection_string", mongoServer.url("app")), "crash");
  }

  @AfterAll
  static void stop() {
    if (vertx != null) {
      vertx.close();
    }
    if (mongoServer != null) {
      mongoServer.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  Process launch(Path dataDir, Path entities, Path log) throws Exception {
    return AppProcess.start(
        mongoServer,
        pg,
        dataDir,
        entities,
        log,
        0,
        "512m",
        Map.of("EMC_API_KEY", "crash-test-key", "EMC_REPLICATOR_POLL_INTERVAL_MS", "200"));
  }

  @Test
  void sigkillWhileWritingThenRestartConvergesEveryRow() throws Exception {
    Path dataDir = work.resolve("data");
    Path log = work.resolve("app.log");
    Path entities = work.resolve("entities.json");
    Files.writeString(
        entities,
        new JsonArray()
            .add(
                new JsonObject()
                    .put("name", "items")
                    .put(
                        "shape",
                        new JsonObject()
                            .put("entity_name", "Item")
                            .put("source_name", "items")
                            .put(
                                "columns",
                                new JsonArray()
                                    .add(
                                        new JsonObject()
                                            .put("name", "id")
                                            .put("type", "Text")
                                            .put("path", "_id"))
                                    .add(
                                        new JsonObject()
                                            .put("name", "n")
                                            .put("type", "Integer")
                                            .put("path", "n"))
                                    .add(
                                        new JsonObject()
                                            .put("name", "label")
                                            .put("type", "Text")
                                            .put("path", "label")))))
            .encode());

    // Some documents exist before the first start: they arrive through the initial scan.
    List<Future<?>> seed = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      seed.add(mongo.insert("items", doc(i, 0)));
    }
    Future.all(seed).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

    Process app = launch(dataDir, entities, log);
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicInteger ops = new AtomicInteger();
    Thread writer = new Thread(() -> writeUntilStopped(writing, ops), "source-writer");
    writer.start();
    try {
      awaitOrDump(
          log,
          Duration.ofSeconds(60),
          () -> SqliteRows.rows(dataDir, "items").size() >= 200 && ops.get() > 300);
      app.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL: no shutdown hook runs
      int atKill = ops.get();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> ops.get() > atKill + 200); // writes continue while it is down
      app = launch(dataDir, entities, log);
      assertEquals(2, readyLines(log), "the app started twice");
      int atRestart = ops.get();
      await().atMost(Duration.ofSeconds(30)).until(() -> ops.get() > atRestart + 200);
    } finally {
      writing.set(false);
      writer.join(30_000);
    }
    try {
      Map<String, Map<String, Object>> expected = sourceRows();
      awaitOrDump(
          log, Duration.ofSeconds(90), () -> SqliteRows.rows(dataDir, "items").equals(expected));
      assertEquals(expected, SqliteRows.rows(dataDir, "items"));
      assertTrue(
          expected.size() > 100,
          "the scenario kept a meaningful number of documents: " + expected.size());
      assertTrue(
          Files.readString(log).contains("resuming after stored token"),
          "the restarted listener resumed from the committed token");
    } finally {
      app.destroy();
      app.waitFor(60, TimeUnit.SECONDS);
    }
  }

  @Test
  void sigtermStopsGracefullyAndExitsZero() throws Exception {
    Path dataDir = work.resolve("data-term");
    Path log = work.resolve("term.log");
    Path entities = work.resolve("entities-term.json");
    Files.writeString(entities, "[]");
    Process app = launch(dataDir, entities, log);
    app.destroy(); // SIGTERM
    assertTrue(app.waitFor(60, TimeUnit.SECONDS), "the app stops within the bound after SIGTERM");
    assertEquals(0, app.exitValue(), "exit status after SIGTERM");
    String text = Files.readString(log);
    assertTrue(
        text.contains("stopping listener") && text.contains("shutdown complete"),
        "graceful stop steps are logged:\n" + text);
  }

  @Test
  void devServicesPrintsBothUrlsAndKeepsPostgresDataAcrossRestarts() throws Exception {
    Path data = work.resolve("dev-data");
    String javaBin = ProcessHandle.current().info().command().orElse("java");
    String jar = Path.of("target", "emcachers.jar").toAbsolutePath().toString();
    int pgPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      pgPort = s.getLocalPort();
    }
    for (int run = 1; run <= 2; run++) {
      Process p =
          new ProcessBuilder(
                  javaBin,
                  "-jar",
                  jar,
                  "dev-services",
                  "--data-dir",
                  data.toString(),
                  "--pg-port",
                  String.valueOf(pgPort))
              .redirectError(
                  ProcessBuilder.Redirect.appendTo(work.resolve("dev-services.log").toFile()))
              .start();
      try {
        java.io.BufferedReader out =
            new java.io.BufferedReader(
                new java.io.InputStreamReader(
                    p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
        String pgUrl = null;
        String mongoUrl = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while ((pgUrl == null || mongoUrl == null) && System.nanoTime() < deadline) {
          String line = out.readLine();
          if (line == null) {
            break;
          }
          if (line.startsWith("EMC_PG_URL=")) {
            pgUrl = line.substring("EMC_PG_URL=".length());
          } else if (line.startsWith("EMC_MONGO_URL=")) {
            mongoUrl = line.substring("EMC_MONGO_URL=".length());
          }
        }
        assertTrue(
            pgUrl != null && mongoUrl != null,
            "both URL lines printed: " + Files.readString(work.resolve("dev-services.log")));
        assertTrue(pgUrl.startsWith("postgresql://") && pgUrl.contains(":" + pgPort + "/"), pgUrl);
        assertTrue(
            mongoUrl.startsWith("mongodb://127.0.0.1:") && mongoUrl.endsWith("/app"), mongoUrl);
        try (java.sql.Connection c =
                java.sql.DriverManager.getConnection(
                    "jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres?user=postgres");
            java.sql.Statement st = c.createStatement()) {
          if (run == 1) {
            st.execute("CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)");
          } else {
            java.sql.ResultSet rs = st.executeQuery("SELECT v FROM kept");
            assertTrue(rs.next());
            assertEquals(42, rs.getInt(1), "PostgreSQL data survived the restart");
          }
        }
        MongoClient client =
            MongoClient.createShared(
                vertx, new JsonObject().put("connection_string", mongoUrl), "dev-services-" + run);
        client
            .insert("ping", new JsonObject().put("x", 1))
            .toCompletionStage()
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
        client.close();
      } finally {
        p.destroy();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
      }
      assertEquals(0, p.exitValue(), "dev-services exits 0 on SIGTERM");
    }
  }

  static long readyLines(Path log) throws java.io.IOException {
    return Files.exists(log)
        ? Files.readAllLines(log).stream().filter(l -> l.contains("emcachers ready")).count()
        : 0;
  }

  /**
   * Waits for {@code condition}; on timeout fails with the tail of the app's log, which lives in a
   * temp dir.
   */
  static void awaitOrDump(
      Path log, Duration timeout, java.util.concurrent.Callable<Boolean> condition)
      throws Exception {
    try {
      await().atMost(timeout).pollInterval(Duration.ofMillis(250)).until(condition);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      List<String> lines = Files.readAllLines(log);
      throw new AssertionError(
          e.getMessage()
              + "\n--- app log (last 80 lines) ---\n"
              + String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size())),
          e);
    }
  }

  static JsonObject doc(int id, int n) {
    return new JsonObject().put("_id", "item-" + id).put("n", n).put("label", "v" + n + "-" + id);
  }

  /** Inserts, updates and deletes over 400 ids, one at a time, until told to stop. */
  static void writeUntilStopped(AtomicBoolean writing, AtomicInteger ops) {
    Random rnd = new Random(42);
    while (writing.get()) {
      int id = rnd.nextInt(400);
      int kind = rnd.nextInt(10);
      Future<?> f;
      if (kind < 6) {
        int n = rnd.nextInt(1_000_000);
        // a plain replace (update command): the wire-protocol test server records no change event
        // for findAndModify
        f =
            mongo.replaceDocumentsWithOptions(
                "items",
                new JsonObject().put("_id", "item-" + id),
                doc(id, n),
                new io.vertx.ext.mongo.UpdateOptions().setUpsert(true));
      } else if (kind < 8) {
        f =
            mongo.updateCollection(
                "items",
                new JsonObject().put("_id", "item-" + id),
                new JsonObject().put("$inc", new JsonObject().put("n", 1)));
      } else {
        f = mongo.removeDocument("items", new JsonObject().put("_id", "item-" + id));
      }
      try {
        f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        ops.incrementAndGet();
      } catch (Exception e) {
        throw new IllegalStateException("source write failed", e);
      }
    }
  }

  static Map<String, Map<String, Object>> sourceRows() throws Exception {
    List<JsonObject> docs =
        mongo
            .find("items", new JsonObject())
            .toCompletionStage()
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
    Map<String, Map<String, Object>> out = new TreeMap<>();
    for (JsonObject d : docs) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("id", d.getString("_id"));
      row.put("n", d.getValue("n") == null ? null : d.getInteger("n"));
      row.put("label", d.getString("label"));
      out.put(d.getString("_id"), row);
    }
    return out;
  }
}
