package io.emcachers.launcher.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import com.mongodb.reactivestreams.client.MongoCollection;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A verification killed with SIGKILL mid-pass resumes from its stored progress when the node starts
 * again, and finishes without starting over. The app runs as a separate JVM ({@code
 * target/emcachers.jar run}), as in {@link CrashRecoveryIT}.
 */
class VerificationCrashIT {

  static final int DOCS = 3000;
  static final String KEY = "verify-crash-key";

  static DevPostgres pg;
  static DevMongo mongoServer;
  static MongoClient source;
  @TempDir static Path work;

  @BeforeAll
  static void start() {
    pg = DevPostgres.startTemporary();
    mongoServer = DevMongo.start(0);
    source = MongoClients.create(mongoServer.url("app"));
  }

  @AfterAll
  static void stop() {
    if (source != null) {
      source.close();
    }
    if (mongoServer != null) {
      mongoServer.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  Process launch(Path dataDir, Path entities, Path log, int port, String... env) throws Exception {
    Map<String, String> vars = new java.util.HashMap<>();
    vars.put("EMC_API_KEY", KEY);
    vars.put("EMC_REPLICATOR_POLL_INTERVAL_MS", "200");
    vars.put("EMC_VERIFY_MAX_DOCS_PER_SECOND", "1000");
    vars.put("EMC_VERIFY_PAGE_DOCS", "100");
    vars.put("EMC_VERIFY_SETTLE_MS", "100");
    for (int i = 0; i + 1 < env.length; i += 2) {
      vars.put(env[i], env[i + 1]);
    }
    return AppProcess.start(mongoServer, pg, dataDir, entities, log, port, "512m", vars);
  }

  @Test
  void aRunKilledMidPassResumesAfterTheRestartWithoutStartingOverThenScheduledRunsFollow()
      throws Exception {
    Path dataDir = work.resolve("data");
    Path log = work.resolve("app.log");
    Path entities = work.resolve("entities.json");
    Files.writeString(
        entities,
        new JsonArray()
            .add(
                PipelineHarness.entity(
                    "vitems",
                    "vitems",
                    new JsonArray()
                        .add(PipelineHarness.col("id", "Text", "_id"))
                        .add(PipelineHarness.col("n", "Integer", "n"))
                        .add(PipelineHarness.col("label", "Text", "label"))))
            .encode());
    MongoCollection<BsonDocument> coll =
        source.getDatabase("app").getCollection("vitems", BsonDocument.class);
    List<BsonDocument> docs = new ArrayList<>();
    for (int i = 0; i < DOCS; i++) {
      docs.add(
          new BsonDocument("_id", new BsonString(String.format("k-%05d", i)))
              .append("n", new BsonInt32(i))
              .append("label", new BsonString("l" + i)));
    }
    ReactiveMongo.one(coll.insertMany(docs));

    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    HttpClient http = HttpClient.newHttpClient();
    Process app = launch(dataDir, entities, log, port);
    Path progress = dataDir.resolve("verify").resolve("vitems.json");
    String id;
    long checkedAtKill;
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> SqliteRows.rows(dataDir, "vitems").size() == DOCS);
      // one streamed change, so the stream position is stored: the restart resumes the stream
      // instead of re-scanning the entity (a new scan epoch would start the pass over)
      ReactiveMongo.one(coll.updateOne(Filters.eq("_id", "k-00000"), Updates.set("n", -1)));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  ((Number) SqliteRows.rows(dataDir, "vitems").get("k-00000").get("n")).intValue()
                      == -1);
      HttpResponse<String> started =
          call(http, port, "POST", "/api/entities/vitems/verify", "{\"repair\": true}");
      assertEquals(202, started.statusCode(), started.body());
      id = new JsonObject(started.body()).getJsonObject("job").getString("id");
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(10))
          .until(() -> VerificationIT.checked(progress) >= 600);
    } finally {
      app.destroyForcibly(); // SIGKILL
      app.waitFor(60, TimeUnit.SECONDS);
    }
    JsonObject killed = new JsonObject(Files.readString(progress));
    checkedAtKill = killed.getJsonObject("counts").getLong("docs_checked");
    assertEquals(id, killed.getString("id"));
    assertEquals("running", killed.getString("state"), "killed: no chance to store a stop");
    assertTrue(checkedAtKill >= 600 && checkedAtKill < DOCS, () -> "killed at " + checkedAtKill);
    String lastIdAtKill = killed.getJsonObject("last_id").getString("v");

    // the restarted node also schedules runs (verify.interval_ms): one must follow the resumed one
    Process again = launch(dataDir, entities, log, port, "EMC_VERIFY_INTERVAL_MS", "1000");
    try {
      JsonObject[] run = new JsonObject[1];
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(100))
          .ignoreExceptions()
          .until(
              () -> {
                HttpResponse<String> r = call(http, port, "GET", "/api/verifications/" + id, null);
                run[0] = new JsonObject(r.body());
                return r.statusCode() == 200 && !"running".equals(run[0].getString("state"));
              });
      assertEquals("finished", run[0].getString("state"), run[0]::encode);
      assertEquals(
          DOCS,
          run[0].getJsonObject("counts").getLong("docs_checked"),
          "the resumed run continued after the stored _id, it did not start over");
      assertEquals(0, run[0].getJsonObject("counts").getLong("different"), run[0]::encode);
      JsonObject after = new JsonObject(Files.readString(progress));
      assertEquals(1, after.getLong("resumes"));
      assertTrue(
          after.getJsonObject("last_id").getString("v").compareTo(lastIdAtKill) > 0,
          "the stored last _id advanced past " + lastIdAtKill);
      assertTrue(
          Files.readString(log).contains("resumes run " + id),
          "the restarted verifier logged the resume");

      JsonObject[] scheduled = new JsonObject[1];
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptions()
          .until(
              () -> {
                JsonArray runs =
                    new JsonObject(call(http, port, "GET", "/api/verifications", null).body())
                        .getJsonArray("verifications");
                for (Object o : runs) {
                  JsonObject r = (JsonObject) o;
                  if (!id.equals(r.getString("id")) && "finished".equals(r.getString("state"))) {
                    scheduled[0] = r;
                    return true;
                  }
                }
                return false;
              });
      assertEquals("vitems", scheduled[0].getString("entity"));
      assertEquals(false, scheduled[0].getBoolean("repair"), "verify.scheduled_repair is false");
      assertEquals(DOCS, scheduled[0].getJsonObject("counts").getLong("matched"));
    } finally {
      again.destroy();
      again.waitFor(60, TimeUnit.SECONDS);
    }
  }

  static HttpResponse<String> call(
      HttpClient http, int port, String method, String path, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Authorization", "Bearer " + KEY);
    b =
        body == null
            ? b.method(method, HttpRequest.BodyPublishers.noBody())
            : b.method(method, HttpRequest.BodyPublishers.ofString(body));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
