package io.emcachers.launcher.e2e;

import static io.emcachers.launcher.e2e.PipelineHarness.col;
import static io.emcachers.launcher.e2e.PipelineHarness.entity;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import com.mongodb.reactivestreams.client.MongoCollection;
import io.emcachers.core.client.OplogClient;
import io.emcachers.core.client.VerifyClient;
import io.emcachers.core.messages.VerifyJob;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.model.Oplog;
import io.emcachers.devservices.DevMongo;
import io.emcachers.devservices.DevPostgres;
import io.emcachers.launcher.Node;
import io.emcachers.launcher.config.LaunchConfig;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt32;
import org.bson.BsonObjectId;
import org.bson.BsonString;
import org.bson.BsonValue;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verification and repair (issue 11) end to end: one node (all roles) over real PostgreSQL, the
 * MongoDB wire-protocol server and SQLite files. Drift is injected the ways it happens for real —
 * rows deleted, edited and added in the SQLite file, changes the change stream never saw ({@code
 * findOneAndUpdate} / {@code findOneAndReplace}: the test server records no change event for them),
 * oplog rows deleted in PostgreSQL before a rebuild — and each run's counts are asserted exactly,
 * then the repair, then {@link ConvergenceCheck}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VerificationIT {

  static final Duration DEADLINE = Duration.ofSeconds(60);

  static DevPostgres pg;
  static DevMongo mongoServer;
  static PipelineHarness app;
  static Node restarted;
  static String mongoUrl;
  static MongoClient source;
  static VerifyClient verify;
  static OplogClient oplog;
  static int apiPort;

  @TempDir static Path dataDir;

  static final JsonArray COLUMNS =
      new JsonArray()
          .add(col("id", "Text", "_id"))
          .add(col("name", "Text", "name"))
          .add(col("n", "Integer", "n"))
          .add(col("score", "Number", "score"));

  @BeforeAll
  static void start() throws Exception {
    pg = DevPostgres.startTemporary();
    mongoServer = DevMongo.start(0);
    mongoUrl = mongoServer.url("app");
    JsonObject cfg =
        PipelineHarness.config(
            pg, mongoServer, dataDir.resolve("node1"), "oplog", "replicator", "listener", "api");
    apiPort = freePort();
    cfg.getJsonObject("api").put("port", apiPort).put("host", "127.0.0.1");
    cfg.put(
        "verify",
        new JsonObject()
            .put("page_docs", 250)
            .put("max_docs_per_second", 4000)
            .put("buckets", 256)
            .put("recheck_timeout_ms", 30_000)
            .put("settle_ms", 300));
    app = PipelineHarness.start(cfg);
    source = MongoClients.create(mongoUrl);
    verify = new VerifyClient(app.vertx.eventBus());
    oplog = new OplogClient(app.vertx.eventBus());
  }

  @AfterAll
  static void stop() throws Exception {
    if (source != null) {
      source.close();
    }
    if (restarted != null) {
      result(restarted.undeploy(Duration.ofSeconds(10)));
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

  // ------------------------------------------------------------------ scenarios

  @Test
  @Order(1)
  void driftOfEachKindIsCountedExactlyAndRepaired() throws Exception {
    String name = "vdrift";
    seed(name, "d-", 2000);
    createAndAwaitLive(name, 2000);
    MongoCollection<BsonDocument> coll = collection(name);

    // node-local damage in the file: 3 rows deleted, 2 edited, 1 row the source never had
    try (Connection c = writable(name)) {
      try (Statement st = c.createStatement()) {
        st.executeUpdate("DELETE FROM vdrift WHERE _doc_id IN ('d-10', 'd-500', 'd-1999')");
        st.executeUpdate("UPDATE vdrift SET name = 'edited' WHERE _doc_id IN ('d-20', 'd-21')");
        st.executeUpdate(
            "INSERT INTO vdrift (_doc_id, id, name, n, score, _oplog_id)"
                + " VALUES ('ghost-1', 'ghost-1', 'ghost', 1, 1.0, 1)");
      }
    }
    // changes the stream never saw: the test server has no change event for findAndModify
    ReactiveMongo.one(coll.findOneAndUpdate(Filters.eq("_id", "d-30"), Updates.set("name", "fam")));
    ReactiveMongo.one(coll.findOneAndUpdate(Filters.eq("_id", "d-31"), Updates.set("n", 4242)));
    ReactiveMongo.one(coll.findOneAndReplace(Filters.eq("_id", "d-32"), doc("d-32", 9999)));

    // repair=false: counted, nothing changed (cache file and oplog)
    Map<String, Map<String, Object>> before = SqliteRows.rows(app.dataDir, name);
    long headBefore = head();
    VerifyJob dry = run(name, false);
    assertEquals(VerifyJob.FINISHED, dry.state(), () -> "dry run: " + dry.toJson().encode());
    VerifyJob.Counts d = dry.counts();
    assertEquals(2000, d.docsChecked());
    assertEquals(3, d.missing(), () -> dry.toJson().encode());
    assertEquals(5, d.different(), () -> dry.toJson().encode());
    assertEquals(1, d.extra(), () -> dry.toJson().encode());
    assertEquals(0, d.repairedOplog() + d.repairedLocal() + d.superseded());
    assertEquals(9, dry.sampleIds().size());
    assertTrue(dry.sampleIds().containsAll(List.of("d-10", "d-20", "d-30", "ghost-1")));
    assertEquals(before, SqliteRows.rows(app.dataDir, name), "a dry run changes no cache row");
    assertEquals(headBefore, head(), "a dry run appends no oplog row");

    // repair=true: file damage repaired locally (no oplog row), the rest through synthetic rows
    VerifyJob fix = run(name, true);
    assertEquals(VerifyJob.FINISHED, fix.state(), () -> "repair run: " + fix.toJson().encode());
    VerifyJob.Counts f = fix.counts();
    assertEquals(3, f.missing());
    assertEquals(5, f.different());
    assertEquals(1, f.extra());
    assertEquals(5, f.repairedLocal(), () -> fix.toJson().encode());
    assertEquals(4, f.repairedOplog(), () -> fix.toJson().encode());
    assertEquals(0, f.superseded());
    assertEquals(0, f.repairFailed());
    List<Oplog> synthetic = syntheticRows(name);
    assertEquals(
        List.of("d-30", "d-31", "d-32", "ghost-1"),
        synthetic.stream().map(Oplog::docId).sorted().toList(),
        "only the oplog's own differences get synthetic rows");
    assertEquals(headBefore + 4, head(), "four rows appended, all synthetic");

    converged(name);
    VerifyJob again = run(name, true);
    assertEquals(0, again.counts().missing() + again.counts().different() + again.counts().extra());
    assertEquals(2000, again.counts().matched());
  }

  @Test
  @Order(2)
  void oplogRowsDeletedBeforeAFreshRebuildAreRepairedThroughTheOplog() throws Exception {
    String name = "vlost";
    seed(name, "l-", 1000);
    createAndAwaitLive(name, 1000);
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl());
        PreparedStatement ps =
            c.prepareStatement(
                "DELETE FROM oplog WHERE entity = ? AND doc_id IN ('l-1', 'l-2', 'l-3', 'l-4')")) {
      ps.setString(1, name);
      assertEquals(4, ps.executeUpdate());
    }
    // a fresh node rebuilds from the oplog: drop this node's file, the next apply rebuilds it
    result(
        io.emcachers.core.bus.Bus.request(
            app.vertx.eventBus(),
            io.emcachers.core.bus.Addresses.CACHE_DROP,
            new io.emcachers.core.messages.CacheEntityRequest(name),
            io.emcachers.core.messages.CacheInfoReply.class));
    ReactiveMongo.one(collection(name).insertOne(doc("l-trigger", 1)));
    await()
        .atMost(DEADLINE)
        .until(() -> SqliteRows.rows(app.dataDir, name).containsKey("l-trigger"));
    assertEquals(1000 + 1 - 4, SqliteRows.rows(app.dataDir, name).size());

    VerifyJob job = run(name, true);
    assertEquals(VerifyJob.FINISHED, job.state(), () -> job.toJson().encode());
    assertEquals(4, job.counts().missing(), () -> job.toJson().encode());
    assertEquals(0, job.counts().different() + job.counts().extra());
    assertEquals(4, job.counts().repairedOplog(), () -> job.toJson().encode());
    assertEquals(0, job.counts().repairedLocal());
    assertEquals(4, syntheticRows(name).size());
    converged(name);
  }

  @Test
  @Order(3)
  void writesDuringVerificationAreNotRepairedAndTheDriftIs() throws Exception {
    String name = "vload";
    seed(name, "s-", 1500);
    createAndAwaitLive(name, 1500);
    MongoCollection<BsonDocument> coll = collection(name);
    try (WriteLoad load = WriteLoad.start(mongoUrl, name, "w-", 150, 100, 11)) {
      load.awaitMoreOps(100);
      for (int i = 0; i < 5; i++) {
        ReactiveMongo.one(
            coll.findOneAndUpdate(Filters.eq("_id", "s-" + (i * 7)), Updates.set("name", "lost")));
      }
      VerifyJob job = run(name, true);
      load.stop();
      assertEquals(VerifyJob.FINISHED, job.state(), () -> job.toJson().encode());
      assertEquals(5, job.counts().different(), () -> "exactly the drift: " + job.toJson());
      assertEquals(0, job.counts().missing() + job.counts().extra(), () -> job.toJson().encode());
      assertEquals(5, job.counts().repairedOplog(), () -> "exactly the drift: " + job.toJson());
      assertEquals(0, job.counts().repairedLocal(), () -> job.toJson().encode());
      assertEquals(0, job.counts().repairFailed());
      assertEquals(
          List.of("s-0", "s-14", "s-21", "s-28", "s-7"),
          syntheticRows(name).stream().map(Oplog::docId).sorted().toList(),
          "no synthetic row for a document the writer changed");
    }
    converged(name);
  }

  @Test
  @Order(4)
  void anInterruptedRunResumesFromItsStoredProgress() throws Exception {
    String name = "vresume";
    seed(name, "r-", 4000);
    createAndAwaitLive(name, 4000);
    // one streamed change, so the listener stores a stream position for the entity: a restart
    // resumes its stream instead of re-scanning (a re-scan would repair the drift below itself)
    ReactiveMongo.one(collection(name).updateOne(Filters.eq("_id", "r-0"), Updates.set("n", -1)));
    await()
        .atMost(DEADLINE)
        .until(
            () ->
                ((Number) SqliteRows.rows(app.dataDir, name).get("r-0").get("n")).intValue() == -1);
    ReactiveMongo.one(
        collection(name).findOneAndUpdate(Filters.eq("_id", "r-3999"), Updates.set("name", "x")));
    VerifyJob started = result(verify.start(name, true));
    Path progress = dataDir.resolve("node1").resolve("verify").resolve(name + ".json");
    await()
        .atMost(DEADLINE)
        .pollInterval(Duration.ofMillis(10))
        .until(() -> checked(progress) >= 750);
    // stop the node mid-run (undeploys the verifier), then start it again on the same data dir
    result(app.node.undeploy(Duration.ofSeconds(10)));
    JsonObject stopped = new JsonObject(Files.readString(progress));
    long checkedAtStop = stopped.getJsonObject("counts").getLong("docs_checked");
    assertEquals(started.id(), stopped.getString("id"));
    assertEquals(VerifyJob.STOPPED, stopped.getString("state"), stopped::encode);
    assertTrue(checkedAtStop >= 750 && checkedAtStop < 4000, () -> "stopped at " + checkedAtStop);
    String lastIdAtStop = stopped.getJsonObject("last_id").encode();

    restarted = new Node(app.vertx, app.config, LaunchConfig.fromJson(app.config));
    result(restarted.deploy());
    VerifyJob done = awaitFinished(started.id());
    assertEquals(VerifyJob.FINISHED, done.state(), () -> done.toJson().encode());
    assertEquals(4000, done.counts().docsChecked(), "continued, not restarted from zero");
    assertEquals(1, done.counts().different());
    assertEquals(1, done.counts().repairedOplog());
    JsonObject after = new JsonObject(Files.readString(progress));
    assertEquals(1, after.getLong("resumes"));
    assertNotEquals(lastIdAtStop, after.getJsonObject("last_id").encode(), "last _id advanced");
    converged(name);
  }

  @Test
  @Order(5)
  void theApiStartsListsAndGetsRuns() throws Exception {
    int port = apiPort();
    HttpClient http = HttpClient.newHttpClient();
    List<io.emcachers.core.messages.StatusEvent> events =
        new java.util.concurrent.CopyOnWriteArrayList<>();
    var feed =
        app.vertx
            .eventBus()
            .<Object>consumer(
                io.emcachers.core.bus.Addresses.STATUS,
                m -> {
                  if (m.body() instanceof io.emcachers.core.messages.StatusEvent e
                      && "verify".equals(e.component())) {
                    events.add(e);
                  }
                });
    result(feed.completion());
    HttpResponse<String> posted =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/api/entities/vdrift/verify"))
                .header("Authorization", "Bearer test-key")
                .POST(HttpRequest.BodyPublishers.ofString("{\"repair\": false}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(202, posted.statusCode(), posted.body());
    String id = new JsonObject(posted.body()).getJsonObject("job").getString("id");
    assertNotNull(id);
    VerifyJob done = awaitFinished(id);
    assertEquals(VerifyJob.FINISHED, done.state());
    // progress and the result on the status feed
    await()
        .atMost(DEADLINE)
        .until(
            () ->
                events.stream()
                    .anyMatch(
                        e ->
                            "vdrift".equals(e.entity())
                                && "finished".equals(e.state())
                                && id.equals(e.data().getString("id"))));
    assertTrue(events.stream().anyMatch(e -> "running".equals(e.state())));
    result(feed.unregister());
    // Prometheus
    HttpResponse<String> metrics =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .header("Authorization", "Bearer test-key")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, metrics.statusCode());
    for (String meter :
        List.of(
            "emc_verify_docs_checked_total{entity=\"vdrift\"",
            "emc_verify_differences_total{entity=\"vdrift\",kind=\"missing\"",
            "emc_verify_repaired_total{entity=\"vdrift\",how=\"local\"",
            "emc_verify_repaired_total{entity=\"vdrift\",how=\"oplog\"",
            "emc_verify_last_verified_timestamp_seconds{entity=\"vdrift\"",
            "emc_verify_last_duration_seconds{entity=\"vdrift\"")) {
      assertTrue(metrics.body().contains(meter), () -> meter + " in\n" + metricsOf(metrics.body()));
    }
    HttpResponse<String> got =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/api/verifications/" + id))
                .header("Authorization", "Bearer test-key")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, got.statusCode(), got.body());
    assertEquals("finished", new JsonObject(got.body()).getString("state"));
    HttpResponse<String> list =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/verifications"))
                .header("Authorization", "Bearer test-key")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, list.statusCode(), list.body());
    assertTrue(list.body().contains(id));
    HttpResponse<String> unknown =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/api/verifications/nope"))
                .header("Authorization", "Bearer test-key")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(404, unknown.statusCode(), unknown.body());
    HttpResponse<String> noEntity =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/api/entities/nosuch/verify"))
                .header("Authorization", "Bearer test-key")
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(404, noEntity.statusCode(), noEntity.body());
  }

  @Test
  @Order(6)
  void theVerifyCommandReportsAndRepairsWithItsExitCode() throws Exception {
    String name = "vcli";
    seed(name, "c-", 300);
    createAndAwaitLive(name, 300);
    try (Connection c = writable(name);
        Statement st = c.createStatement()) {
      st.executeUpdate("DELETE FROM vcli WHERE _doc_id IN ('c-7', 'c-70')");
    }
    String api = "http://127.0.0.1:" + apiPort();
    java.io.StringWriter out = new java.io.StringWriter();
    picocli.CommandLine cli = new picocli.CommandLine(new io.emcachers.launcher.Main());
    cli.setOut(new java.io.PrintWriter(out, true));
    String[] dry = {"verify", "--entity", name, "--api", api, "--key", "test-key"};
    assertEquals(1, cli.execute(dry), "differences left: " + out);
    assertTrue(out.toString().contains("\"missing\" : 2"), out.toString());

    String[] repair = {"verify", "--entity", name, "--api", api, "--key", "test-key", "--repair"};
    assertEquals(0, cli.execute(repair), "repaired: " + out);
    converged(name);
    assertEquals(0, cli.execute(dry), "nothing differs any more: " + out);
  }

  @Test
  @Order(7)
  void moreDifferencesThanOneOplogRequestTakesAreRepairedInChunks() throws Exception {
    String name = "vmany";
    seed(name, "m-", 3000);
    createAndAwaitLive(name, 3000);
    try (Connection c = writable(name);
        Statement st = c.createStatement()) {
      // 1,500 rows gone from the file: more than emc.oplog.latest takes in one request (1,000)
      st.executeUpdate("DELETE FROM vmany WHERE CAST(n AS INTEGER) % 2 = 0");
    }
    VerifyJob fixed = run(name, true);
    assertEquals(VerifyJob.FINISHED, fixed.state(), () -> fixed.toJson().encode());
    assertEquals(1500, fixed.counts().missing(), () -> fixed.toJson().encode());
    assertEquals(1500, fixed.counts().repairedLocal(), () -> fixed.toJson().encode());
    assertEquals(0, fixed.counts().repairedOplog() + fixed.counts().repairFailed());
    converged(name);
  }

  /**
   * JSON values come back from the oplog's jsonb with their keys in jsonb's order (shorter keys
   * first) and numbers in its spelling (1e300 as 301 digits); the cache holds that. A verification
   * compares values, not spellings: a cache equal to its source is not "different", and a repair
   * run changes nothing.
   */
  @Test
  @Order(8)
  void jsonValuesThatJsonbRespellsAreEqualNotDifferent() throws Exception {
    String name = "vjson";
    JsonArray columns =
        new JsonArray()
            .add(col("id", "Text", "_id"))
            .add(col("profile", "JSONB", "profile"))
            .add(col("extra", "Any", "extra"));
    List<BsonDocument> docs = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      BsonDocument profile =
          BsonDocument.parse(
              "{\"zeta_long_key\": "
                  + i
                  + ", \"b\": {\"yy\": [1, {\"k2\": 2, \"k\": 1}], \"x\": true},"
                  + " \"big\": 1e300, \"half\": 0.5, \"neg\": -2.5e-7, \"whole\": 3.0,"
                  + " \"date\": {\"$date\": \"2024-01-02T03:04:05.678Z\"}}");
      docs.add(
          new BsonDocument("_id", new BsonString("j-" + i))
              .append("profile", profile)
              .append("extra", BsonDocument.parse("{\"long_name\": 1, \"a\": [3, 2, 1]}")));
    }
    ReactiveMongo.one(collection(name).insertMany(docs));
    createAndAwaitLive(name, 300, columns);
    ConvergenceCheck.of(mongoUrl, name, app.dataDir, name, columns)
        .within(Duration.ofSeconds(30))
        .awaitConverged();

    long headBefore = head();
    VerifyJob dry = run(name, false);
    assertEquals(VerifyJob.FINISHED, dry.state(), () -> dry.toJson().encode());
    assertEquals(300, dry.counts().matched(), () -> dry.toJson().encode());
    assertEquals(
        0,
        dry.counts().missing() + dry.counts().different() + dry.counts().extra(),
        () -> dry.toJson().encode());
    VerifyJob fix = run(name, true);
    assertEquals(300, fix.counts().matched(), () -> fix.toJson().encode());
    assertEquals(0, fix.counts().repairedLocal() + fix.counts().repairedOplog());
    assertEquals(headBefore, head(), "nothing to repair: no oplog row appended");
  }

  @Test
  @Order(9)
  void idsOfMixedTypesAreEachCheckedOnce() throws Exception {
    String name = "vmixed";
    List<BsonValue> ids = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      ids.add(new BsonInt32(i));
      ids.add(new BsonString("m-" + i));
      ids.add(new BsonDouble(i + 0.5));
      ids.add(new BsonObjectId(new ObjectId()));
    }
    for (int i = 0; i < 20; i++) {
      ids.add(new BsonDocument("k", new BsonInt32(i)));
      ids.add(new BsonString("\uD83D\uDE00-" + i)); // beyond U+FFFF: UTF-16 and UTF-8 orders differ
    }
    List<BsonDocument> docs = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      docs.add(
          new BsonDocument("_id", ids.get(i))
              .append("name", new BsonString("x" + i))
              .append("n", new BsonInt32(i)));
    }
    ReactiveMongo.one(collection(name).insertMany(docs));
    int n = ids.size();
    createAndAwaitLive(name, n, NO_ID_COLUMNS);
    // one change of each kind the stream never saw, on ids of four types
    for (BsonValue id : List.of(ids.get(0), ids.get(2), ids.get(n - 2), ids.get(n - 1))) {
      ReactiveMongo.one(
          collection(name).findOneAndUpdate(Filters.eq("_id", id), Updates.set("n", -7)));
    }
    VerifyJob dry = run(name, false);
    assertEquals(VerifyJob.FINISHED, dry.state(), () -> dry.toJson().encode());
    assertEquals(n, dry.counts().docsChecked(), () -> dry.toJson().encode());
    assertEquals(4, dry.counts().different(), () -> dry.toJson().encode());
    assertEquals(n - 4, dry.counts().matched(), () -> dry.toJson().encode());
    assertEquals(0, dry.counts().missing() + dry.counts().extra(), () -> dry.toJson().encode());

    VerifyJob fix = run(name, true);
    assertEquals(4, fix.counts().repairedOplog(), () -> fix.toJson().encode());
    ConvergenceCheck.of(mongoUrl, name, app.dataDir, name, NO_ID_COLUMNS)
        .within(Duration.ofSeconds(30))
        .awaitConverged();
  }

  static final JsonArray NO_ID_COLUMNS =
      new JsonArray().add(col("name", "Text", "name")).add(col("n", "Integer", "n"));

  // ------------------------------------------------------------------ helpers

  static BsonDocument doc(String id, int i) {
    return new BsonDocument("_id", new BsonString(id))
        .append("name", new BsonString("n" + i))
        .append("n", new BsonInt32(i))
        .append("score", new BsonDouble(i * 0.5));
  }

  static MongoCollection<BsonDocument> collection(String name) {
    return source.getDatabase("app").getCollection(name, BsonDocument.class);
  }

  static void seed(String name, String prefix, int n) {
    List<BsonDocument> docs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      docs.add(doc(prefix + i, i));
      if (docs.size() == 500 || i == n - 1) {
        ReactiveMongo.one(collection(name).insertMany(docs));
        docs = new ArrayList<>();
      }
    }
  }

  static void createAndAwaitLive(String name, int rows) throws Exception {
    createAndAwaitLive(name, rows, COLUMNS);
  }

  static void createAndAwaitLive(String name, int rows, JsonArray columns) throws Exception {
    app.create(entity(name, name, columns));
    await()
        .atMost(DEADLINE)
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                app.get(name).entity().status() == EntityStatus.live
                    && SqliteRows.rows(app.dataDir, name).size() == rows);
  }

  static void converged(String name) {
    ConvergenceCheck.of(mongoUrl, name, app.dataDir, name, COLUMNS)
        .within(Duration.ofSeconds(30))
        .awaitConverged();
  }

  static Connection writable(String name) throws Exception {
    org.sqlite.SQLiteConfig cfg = new org.sqlite.SQLiteConfig();
    cfg.setBusyTimeout(10_000);
    return DriverManager.getConnection(
        "jdbc:sqlite:" + SqliteRows.file(app.dataDir, name), cfg.toProperties());
  }

  static VerifyJob run(String name, boolean repair) throws Exception {
    VerifyJob started = result(verify.start(name, repair));
    assertEquals(VerifyJob.RUNNING, started.state());
    return awaitFinished(started.id());
  }

  static VerifyJob awaitFinished(String id) {
    VerifyJob[] last = new VerifyJob[1];
    await()
        .atMost(DEADLINE)
        .pollInterval(Duration.ofMillis(50))
        .ignoreExceptions()
        .until(
            () -> {
              last[0] = result(verify.get(id));
              return !VerifyJob.RUNNING.equals(last[0].state());
            });
    return last[0];
  }

  static long head() throws Exception {
    return result(oplog.read(0, 1, List.of())).headId();
  }

  static List<Oplog> syntheticRows(String entity) throws Exception {
    return result(oplog.read(0, 10_000, List.of(entity))).rows().stream()
        .filter(Oplog::synthetic)
        .toList();
  }

  static long checked(Path progress) {
    try {
      return Files.exists(progress)
          ? new JsonObject(Files.readString(progress))
              .getJsonObject("counts")
              .getLong("docs_checked")
          : 0;
    } catch (Exception e) {
      return 0;
    }
  }

  static String metricsOf(String text) {
    return text.lines().filter(l -> l.startsWith("emc_verify")).toList().toString();
  }

  static int apiPort() {
    return apiPort;
  }

  static int freePort() throws Exception {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static <T> T result(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
