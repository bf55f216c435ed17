package io.emcachers.launcher.e2e;

import static io.emcachers.launcher.e2e.PipelineHarness.col;
import static io.emcachers.launcher.e2e.PipelineHarness.entity;
import static io.emcachers.launcher.e2e.ReactiveMongo.all;
import static io.emcachers.launcher.e2e.ReactiveMongo.one;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import com.mongodb.reactivestreams.client.ClientSession;
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
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import org.bson.BsonTimestamp;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Read-your-writes end to end (issue 14): a write through the MongoDB driver, {@code GET
 * /api/cache/{entity}/wait?cluster_time=T}, then the row is in the SQLite file — every time, over
 * 200 writes (inserts and updates). T is the session's {@code operationTime}; the wire-protocol
 * test server reports none, so there T is the write's own entry in its {@code local.oplog.rs} (the
 * {@code ts} its change event carries as {@code clusterTime}).
 */
class ReadYourWritesIT {

  static final int ITERATIONS = 200;
  static final String ENTITY = "ryw_users";

  static DevPostgres pg;
  static DevMongo mongoServer;
  static PipelineHarness app;
  static MongoClient mongo;
  static int apiPort;
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir static Path dataDir;

  @BeforeAll
  static void start() throws Exception {
    pg = DevPostgres.startTemporary();
    mongoServer = DevMongo.start(0);
    JsonObject cfg =
        PipelineHarness.config(
            pg, mongoServer, dataDir.resolve("node1"), "oplog", "replicator", "listener", "api");
    apiPort = VerificationIT.freePort();
    cfg.getJsonObject("api").put("port", apiPort).put("host", "127.0.0.1");
    // the safety-net poll far away: the wait must be woken by the apply itself
    cfg.getJsonObject("replicator").put("poll_interval_ms", 60_000);
    app = PipelineHarness.start(cfg);
    mongo = MongoClients.create(mongoServer.url("app"));
    one(mongo.getDatabase("app").getCollection("ryw").insertOne(new Document("_id", "seed")));
    app.create(
        entity(
            ENTITY,
            "ryw",
            new JsonArray().add(col("id", "Text", "_id")).add(col("n", "Integer", "n"))));
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> app.get(ENTITY).entity().status() == EntityStatus.live);
  }

  @AfterAll
  static void stop() throws Exception {
    if (mongo != null) {
      mongo.close();
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

  /**
   * The cluster time of the session's last write: {@code operationTime} where the server reports it
   * (MongoDB), else that write's entry in the test server's oplog.
   */
  static BsonTimestamp operationTime(ClientSession session, String id) {
    if (session != null && session.getOperationTime() != null) {
      return session.getOperationTime();
    }
    List<Document> entries =
        all(
            mongo
                .getDatabase("local")
                .getCollection("oplog.rs")
                .find(
                    Filters.and(
                        Filters.eq("ns", "app.ryw"),
                        Filters.or(Filters.eq("o._id", id), Filters.eq("o2._id", id))))
                .sort(Sorts.descending("ts"))
                .limit(1));
    assertEquals(
        1,
        entries.size(),
        () ->
            "the write's oplog entry for "
                + id
                + "; the oplog holds "
                + all(mongo.getDatabase("local").getCollection("oplog.rs").find()));
    return entries.get(0).get("ts", BsonTimestamp.class);
  }

  /** Null: the server supports no sessions (the wire-protocol test server); known after one try. */
  static Boolean sessions;

  static ClientSession session() {
    if (Boolean.FALSE.equals(sessions)) {
      return null;
    }
    ClientSession s = one(mongo.startSession());
    if (sessions == null) {
      try {
        one(mongo.getDatabase("app").getCollection("ryw").countDocuments(s));
        sessions = true;
      } catch (RuntimeException e) {
        // "Attempting to use a ClientSession while connected to a server that doesn't support
        // sessions": the writes go without one
        s.close();
        sessions = false;
        return null;
      }
    }
    return s;
  }

  static Long cachedN(Connection sqlite, String id) throws Exception {
    try (PreparedStatement st =
        sqlite.prepareStatement("SELECT n FROM " + ENTITY + " WHERE _doc_id = ?")) {
      st.setString(1, id);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? rs.getLong(1) : null;
      }
    }
  }

  @Test
  void afterAWriteAndWaitTheRowIsInTheFileEveryTime() throws Exception {
    MongoCollection<Document> coll = mongo.getDatabase("app").getCollection("ryw");
    Path file = SqliteRows.file(app.dataDir, ENTITY);
    await().atMost(Duration.ofSeconds(60)).until(() -> file.toFile().exists());
    try (Connection sqlite = DriverManager.getConnection("jdbc:sqlite:file:" + file + "?mode=ro")) {
      for (int i = 0; i < ITERATIONS; i++) {
        ClientSession session = session();
        // inserts (even i), and updates of the document the previous iteration inserted
        String id = i % 2 == 0 ? "k" + i : "k" + (i - 1);
        if (i % 2 == 0) {
          one(
              session == null
                  ? coll.insertOne(new Document("_id", id).append("n", i))
                  : coll.insertOne(session, new Document("_id", id).append("n", i)));
        } else {
          one(
              session == null
                  ? coll.updateOne(Filters.eq("_id", id), Updates.set("n", i))
                  : coll.updateOne(session, Filters.eq("_id", id), Updates.set("n", i)));
        }
        BsonTimestamp t = operationTime(session, id);
        if (session != null) {
          session.close();
        }
        HttpResponse<String> r =
            HTTP.send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:"
                                + apiPort
                                + "/api/cache/"
                                + ENTITY
                                + "/wait?cluster_time="
                                + t.getTime()
                                + "."
                                + t.getInc()
                                + "&timeout_ms=30000"))
                    .header("Authorization", "Bearer test-key")
                    .timeout(Duration.ofSeconds(40))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), "iteration " + i + ": " + r.body());
        JsonObject body = new JsonObject(r.body());
        assertEquals(ENTITY, body.getString("entity"));
        Long n = cachedN(sqlite, id);
        assertNotNull(n, "iteration " + i + ": " + id + " is in the file after wait");
        assertEquals(i, n, "iteration " + i + ": the file has this write's value");
      }
    }
    // the rows carry their source cluster times in the oplog
    JsonObject page =
        new JsonObject(
            HTTP.send(
                    HttpRequest.newBuilder(
                            URI.create(
                                "http://127.0.0.1:"
                                    + apiPort
                                    + "/api/changes/"
                                    + ENTITY
                                    + "?after=0&limit=10000"))
                        .header("Authorization", "Bearer test-key")
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
    long streamed =
        page.getJsonArray("changes").stream()
            .map(o -> (JsonObject) o)
            .filter(c -> c.getLong("cluster_time") != null)
            .count();
    assertEquals(ITERATIONS, streamed, "every streamed row has its cluster time " + page);
  }
}
