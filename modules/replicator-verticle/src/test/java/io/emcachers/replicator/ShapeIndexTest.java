package io.emcachers.replicator;

import static io.emcachers.replicator.Pipeline.sqlite;
import static io.emcachers.replicator.Pipeline.up;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.messages.CacheEntityRequest;
import io.emcachers.core.messages.CacheInfoReply;
import io.emcachers.core.messages.CacheQueryRequest;
import io.emcachers.core.messages.CacheRowsReply;
import io.emcachers.core.messages.EntityNameRequest;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.EntityUpsertRequest;
import io.emcachers.core.messages.JobAccepted;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.messages.StatusEvent;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.devservices.DevPostgres;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shape's {@code indexes} in real cache files (issue 14): SQLite uses them, and a unique index
 * the data violates fails the rebuild loudly while the last good file keeps serving.
 */
@Timeout(180)
class ShapeIndexTest {

  static final Duration WAIT = Duration.ofSeconds(60);
  @TempDir static Path shared;
  static DevPostgres pg;
  @TempDir Path dataDir;
  Pipeline p;

  @BeforeAll
  static void startPostgres() {
    pg = new DevPostgres(shared.resolve("pg"), 0).start();
  }

  @AfterAll
  static void stopPostgres() {
    pg.close();
  }

  @BeforeEach
  void setUp() {
    Pipeline.resetTables(pg);
    p = new Pipeline(pg, dataDir);
  }

  @AfterEach
  void tearDown() {
    p.close();
  }

  Path file() {
    return dataDir.resolve("dbs/people/db.sqlite");
  }

  static JsonObject people(JsonArray indexes) {
    JsonObject def = Pipeline.definition("people", "email:Text", "city:Text", "age:Integer");
    if (indexes != null) {
      def.getJsonObject("shape").put("indexes", indexes);
    }
    return def;
  }

  long count() {
    List<Map<String, Object>> r = sqlite(file(), "SELECT count(*) AS c FROM people");
    return r == null ? -1 : ((Number) r.get(0).get("c")).longValue();
  }

  String plan(String sql) {
    StringBuilder sb = new StringBuilder();
    sqlite(file(), "EXPLAIN QUERY PLAN " + sql)
        .forEach(r -> sb.append(r.get("detail")).append('\n'));
    return sb.toString();
  }

  long appendPeople(int n, boolean duplicateEmail) {
    List<OplogEntry> batch = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String email = duplicateEmail && i == 1 ? "p0@x" : "p" + i + "@x";
      batch.add(
          up(
              "people",
              "p" + i,
              new JsonObject().put("email", email).put("city", "c" + i % 5).put("age", 20 + i)));
    }
    return p.append(batch).lastId();
  }

  @Test
  void queriesUseTheDeclaredIndexes() {
    p.startAll();
    p.request(
        Addresses.ENTITIES_CREATE,
        new EntityUpsertRequest(
            people(
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("columns", new JsonArray().add("email"))
                            .put("unique", true))
                    .add(new JsonObject().put("columns", new JsonArray().add("city").add("age"))))),
        EntityReply.class);
    p.setLive("people");
    appendPeople(200, false);
    await().atMost(WAIT).until(() -> count() == 200);

    List<Map<String, Object>> indexes =
        sqlite(
            file(),
            "SELECT name, \"unique\" AS u FROM pragma_index_list('people') WHERE origin = 'c' ORDER BY name");
    assertEquals(2, indexes.size(), String.valueOf(indexes));
    assertEquals("people_idx0_email", indexes.get(0).get("name"));
    assertEquals(1, ((Number) indexes.get(0).get("u")).intValue());
    assertEquals("people_idx1_city_age", indexes.get(1).get("name"));
    assertTrue(
        plan("SELECT * FROM people WHERE email = 'p7@x'").contains("USING INDEX people_idx0_email"),
        plan("SELECT * FROM people WHERE email = 'p7@x'"));
    assertTrue(
        plan("SELECT * FROM people WHERE city = 'c1' AND age > 30")
            .contains("USING INDEX people_idx1_city_age"));
    // rows written after the build go through the indexes too
    p.append(up("people", "late", new JsonObject().put("email", "late@x").put("city", "c9")));
    await().atMost(WAIT).until(() -> count() == 201);
    assertEquals(
        "late",
        sqlite(
                file(),
                "SELECT _doc_id FROM people INDEXED BY people_idx0_email WHERE email = 'late@x'")
            .get(0)
            .get("_doc_id"));
  }

  @Test
  void aUniqueIndexTheDataViolatesFailsTheRebuildVisiblyAndTheOldFileKeepsServing() {
    p.startAll();
    p.request(Addresses.ENTITIES_CREATE, new EntityUpsertRequest(people(null)), EntityReply.class);
    p.setLive("people");
    appendPeople(50, true); // p0 and p1 share an email
    await().atMost(WAIT).until(() -> count() == 50);
    String oldHash = Pipeline.meta(file(), "shape_hash");

    // the new shape asks for a unique email: the rebuild's index build fails
    p.request(
        Addresses.ENTITIES_UPDATE,
        new EntityUpsertRequest(
            people(
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("columns", new JsonArray().add("email"))
                            .put("unique", true)))),
        EntityReply.class);
    p.setLive("people"); // what the listener's re-scan would end with
    await()
        .atMost(WAIT)
        .until(
            () ->
                p.request(
                            Addresses.ENTITIES_GET,
                            new EntityNameRequest("people"),
                            EntityReply.class)
                        .entity()
                        .status()
                    == EntityStatus.failed);
    StatusEvent error =
        p.events.stream()
            .filter(ev -> "cache_failed".equals(ev.state()) && "people".equals(ev.entity()))
            .findFirst()
            .orElseThrow();
    String message = error.data().getString("message");
    assertTrue(message.contains("people_idx0_email"), message);
    assertTrue(message.contains("email=p0@x"), message);
    assertTrue(message.contains("p0") && message.contains("p1"), message);

    // the old file is untouched and still serves
    assertEquals(oldHash, Pipeline.meta(file(), "shape_hash"));
    assertEquals(50, count());
    assertFalse(Files.exists(dataDir.resolve("dbs/people/db.sqlite.rebuild")));
    CacheRowsReply rows =
        p.request(
            Addresses.CACHE_QUERY,
            new CacheQueryRequest("people", "SELECT count(*) AS n FROM people", null, 10, 1000),
            CacheRowsReply.class);
    assertEquals(50L, ((Number) rows.rows().get(0).getValue("n")).longValue());
    JsonObject info =
        p.request(Addresses.CACHE_INFO, new CacheEntityRequest("people"), CacheInfoReply.class)
            .info()
            .getJsonObject("entities")
            .getJsonObject("people");
    assertTrue(info.getJsonObject("failed").getString("error").contains("people_idx0_email"));
    // further rows of the failed identity are skipped, not retried forever: the node moves on
    long skipped = appendPeople(50, true);
    await().atMost(WAIT).until(() -> Pipeline.nodeOffset(dataDir) >= skipped);
    assertEquals(oldHash, Pipeline.meta(file(), "shape_hash"));

    // the data is fixed at the source; a recreate builds the new shape
    long fixed = p.append(up("people", "p1", new JsonObject().put("email", "p1@x"))).lastId();
    await().atMost(WAIT).until(() -> Pipeline.nodeOffset(dataDir) >= fixed);
    p.request(Addresses.REPLICATOR_RECREATE, new CacheEntityRequest("people"), JobAccepted.class);
    await().atMost(WAIT).until(() -> !oldHash.equals(Pipeline.meta(file(), "shape_hash")));
    assertNotEquals(oldHash, Pipeline.meta(file(), "shape_hash"));
    assertEquals(50, count());
    assertTrue(plan("SELECT * FROM people WHERE email = 'p1@x'").contains("people_idx0_email"));
  }

  @Test
  void puttingTheOldShapeBackBringsTheRowsSkippedWhileTheCacheWasFailed() {
    p.startAll();
    p.request(Addresses.ENTITIES_CREATE, new EntityUpsertRequest(people(null)), EntityReply.class);
    p.setLive("people");
    appendPeople(20, true);
    await().atMost(WAIT).until(() -> count() == 20);
    String oldHash = Pipeline.meta(file(), "shape_hash");
    p.request(
        Addresses.ENTITIES_UPDATE,
        new EntityUpsertRequest(
            people(
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("columns", new JsonArray().add("email"))
                            .put("unique", true)))),
        EntityReply.class);
    p.setLive("people");
    await()
        .atMost(WAIT)
        .until(
            () ->
                p.request(
                            Addresses.ENTITIES_GET,
                            new EntityNameRequest("people"),
                            EntityReply.class)
                        .entity()
                        .status()
                    == EntityStatus.failed);
    // written while the cache is failed: skipped by this node
    long skipped =
        p.append(up("people", "p7", new JsonObject().put("email", "moved@x").put("age", 99)))
            .lastId();
    await().atMost(WAIT).until(() -> Pipeline.nodeOffset(dataDir) >= skipped);
    assertEquals(20, count());

    // the old shape again: the file's identity, but it missed rows; it is rebuilt from the oplog
    p.request(Addresses.ENTITIES_UPDATE, new EntityUpsertRequest(people(null)), EntityReply.class);
    p.setLive("people");
    await()
        .atMost(WAIT)
        .until(
            () -> {
              List<Map<String, Object>> r =
                  sqlite(file(), "SELECT email FROM people WHERE _doc_id = 'p7'");
              return r != null && !r.isEmpty() && "moved@x".equals(r.get(0).get("email"));
            });
    assertEquals(oldHash, Pipeline.meta(file(), "shape_hash"));
    assertEquals(20, count());
  }
}
