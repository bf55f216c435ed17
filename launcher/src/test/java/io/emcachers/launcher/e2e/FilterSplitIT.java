package io.emcachers.launcher.e2e;

import static io.emcachers.launcher.e2e.PipelineHarness.col;
import static io.emcachers.launcher.e2e.PipelineHarness.entity;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.client.VerifyClient;
import io.emcachers.core.messages.VerifyJob;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.devservices.DevMongo;
import io.emcachers.devservices.DevPostgres;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.MongoClient;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Entity filters end to end (issue 14): one collection split by {@code status} into two entities
 * while writes move documents between the statuses (and to a third one neither entity takes), over
 * the MongoDB wire-protocol server, real PostgreSQL and SQLite files. Each cache must equal the
 * source filtered by plain Java here (not by the filter code under test), no document may be in
 * both, and the verifier must count a cached row outside the filter as extra.
 */
class FilterSplitIT {

  static final Duration DEADLINE = Duration.ofSeconds(90);
  static final List<String> STATUSES = List.of("open", "closed", "archived");

  static DevPostgres pg;
  static DevMongo mongoServer;
  static PipelineHarness app;
  static MongoClient mongo;

  @TempDir static Path dataDir;

  @BeforeAll
  static void start() throws Exception {
    pg = DevPostgres.startTemporary();
    mongoServer = DevMongo.start(0);
    app =
        PipelineHarness.start(
            PipelineHarness.config(
                pg,
                mongoServer,
                dataDir.resolve("node1"),
                "oplog",
                "replicator",
                "listener",
                "api"));
    mongo = app.mongo();
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

  static <T> T done(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  static JsonObject ticketsWhere(String name, String status) {
    JsonObject def =
        entity(
            name,
            "tickets",
            new JsonArray()
                .add(col("id", "Text", "_id"))
                .add(col("status", "Text", "status"))
                .add(col("title", "Text", "title"))
                .add(col("n", "Integer", "n")));
    def.getJsonObject("shape").put("filter", new JsonObject().put("status", status));
    return def;
  }

  /** The source, filtered here by plain equality: doc id → title|n. */
  static Map<String, String> expected(String status) throws Exception {
    Map<String, String> out = new TreeMap<>();
    for (JsonObject d : done(mongo.find("tickets", new JsonObject()))) {
      if (status.equals(d.getValue("status"))) {
        out.put(d.getString("_id"), d.getString("title") + "|" + d.getValue("n"));
      }
    }
    return out;
  }

  static Map<String, String> cached(String entity) {
    Map<String, String> out = new TreeMap<>();
    SqliteRows.rows(app.dataDir, entity)
        .forEach((id, row) -> out.put(id, row.get("title") + "|" + row.get("n")));
    return out;
  }

  @Test
  void twoEntitiesSplitOneCollectionByStatusWhileWritesMoveDocumentsBetweenThem() throws Exception {
    Random random = new Random(14);
    for (int i = 0; i < 300; i++) {
      done(
          mongo.insert(
              "tickets",
              new JsonObject()
                  .put("_id", "t" + i)
                  .put("status", STATUSES.get(i % 3))
                  .put("title", "ticket " + i)
                  .put("n", 0)));
    }
    app.create(ticketsWhere("tickets_open", "open"));
    app.create(ticketsWhere("tickets_closed", "closed"));

    // writes flow while both entities scan and then stream: status moves, edits, deletes, inserts
    int next = 300;
    for (int op = 0; op < 600; op++) {
      String id = "t" + random.nextInt(next);
      int kind = random.nextInt(10);
      if (kind < 6) {
        done(
            mongo.updateCollection(
                "tickets",
                new JsonObject().put("_id", id),
                new JsonObject()
                    .put(
                        "$set",
                        new JsonObject()
                            .put("status", STATUSES.get(random.nextInt(3)))
                            .put("n", op))));
      } else if (kind < 8) {
        done(
            mongo.updateCollection(
                "tickets",
                new JsonObject().put("_id", id),
                new JsonObject().put("$set", new JsonObject().put("title", "edited " + op))));
      } else if (kind < 9) {
        done(mongo.removeDocument("tickets", new JsonObject().put("_id", id)));
      } else {
        done(
            mongo.insert(
                "tickets",
                new JsonObject()
                    .put("_id", "t" + next++)
                    .put("status", STATUSES.get(random.nextInt(3)))
                    .put("title", "new")
                    .put("n", op)));
      }
    }

    Map<String, String> open = expected("open");
    Map<String, String> closed = expected("closed");
    assertTrue(open.size() > 50 && closed.size() > 50, open.size() + " / " + closed.size());
    await().atMost(DEADLINE).until(() -> cached("tickets_open").equals(open));
    await().atMost(DEADLINE).until(() -> cached("tickets_closed").equals(closed));
    Set<String> both = new HashSet<>(cached("tickets_open").keySet());
    both.retainAll(cached("tickets_closed").keySet());
    assertEquals(Set.of(), both, "no document is in both entities");
    assertEquals(EntityStatus.live, app.get("tickets_open").entity().status());

    // the verifier sees the source through the same filter: nothing differs ...
    VerifyClient verify = new VerifyClient(app.vertx.eventBus());
    VerifyJob clean = run(verify, "tickets_open");
    assertEquals(VerifyJob.FINISHED, clean.state(), () -> clean.toJson().encode());
    assertEquals(open.size(), clean.counts().matched(), () -> clean.toJson().encode());
    assertEquals(
        0,
        clean.counts().missing() + clean.counts().extra() + clean.counts().different(),
        () -> clean.toJson().encode());
    // ... and a cached row of a document outside the filter (it exists in the source) is extra
    String closedId = closed.keySet().iterator().next();
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:sqlite:" + SqliteRows.file(app.dataDir, "tickets_open"));
        Statement st = c.createStatement()) {
      st.execute("PRAGMA busy_timeout = 10000");
      st.executeUpdate(
          "INSERT INTO tickets_open (_doc_id, id, status, title, n, _oplog_id) VALUES ('"
              + closedId
              + "', '"
              + closedId
              + "', 'closed', 'stray', 0, 1)");
    }
    VerifyJob drift = run(verify, "tickets_open");
    assertEquals(1, drift.counts().extra(), () -> drift.toJson().encode());
    assertEquals(
        0, drift.counts().missing() + drift.counts().different(), () -> drift.toJson().encode());
    assertEquals(List.of(closedId), drift.sampleIds());
  }

  static VerifyJob run(VerifyClient verify, String name) throws Exception {
    VerifyJob[] last = new VerifyJob[1];
    // the previous run may still be releasing the entity (409) for a moment after it finished
    await()
        .atMost(DEADLINE)
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .until(() -> (last[0] = done(verify.start(name, false))) != null);
    VerifyJob started = last[0];
    await()
        .atMost(DEADLINE)
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .until(
            () -> {
              last[0] = done(verify.get(started.id()));
              return !VerifyJob.RUNNING.equals(last[0].state());
            });
    return last[0];
  }
}
