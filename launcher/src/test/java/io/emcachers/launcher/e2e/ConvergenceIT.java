package io.emcachers.launcher.e2e;

import static io.emcachers.launcher.e2e.PipelineHarness.col;
import static io.emcachers.launcher.e2e.PipelineHarness.entity;
import static io.emcachers.testsupport.Await.await;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import com.mongodb.reactivestreams.client.MongoCollection;
import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.client.OplogClient;
import io.emcachers.core.messages.CacheEntityRequest;
import io.emcachers.core.messages.CompactionReply;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.core.messages.JobAccepted;
import io.emcachers.core.model.Entity;
import io.emcachers.devservices.DevMongo;
import io.emcachers.devservices.DevPostgres;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.bson.BsonBinary;
import org.bson.BsonBoolean;
import org.bson.BsonDateTime;
import org.bson.BsonDecimal128;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt32;
import org.bson.BsonNull;
import org.bson.BsonObjectId;
import org.bson.BsonString;
import org.bson.BsonValue;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every operation that rebuilds, re-scans or re-creates a cache runs while a {@link WriteLoad}
 * keeps writing to the source; after the writes stop, {@link ConvergenceCheck} requires every cache
 * row to equal the documented projection of every source document. One node (all roles) over the
 * embedded servers, started once; each scenario has its own collection and entity, and deletes its
 * entities when it ends. Scenarios whose data may wedge a listener stream or scan today (mixed ids,
 * a null {@code _id}, U+0000) run last, so they cannot hold up the scans of the others.
 *
 * <p>Facts of the MongoDB wire-protocol test server these scenarios live with: a dropped collection
 * yields a {@code drop} change event but no {@code invalidate}; {@code findAndModify} yields no
 * event (the writers use {@code updateOne}/{@code replaceOne}); update lookups break on a stored
 * null {@code _id} (see {@link WriteLoad#startInsertsAndDeletes}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConvergenceIT {

  /**
   * Time to converge once writes have stopped (a few hundred documents: a few seconds when things
   * work).
   */
  static final Duration CONVERGE = Duration.ofSeconds(20);

  static final int RATE = 100; // source operations per second while an operation runs
  static final int KEYS = 150; // ids per writer

  static DevPostgres pg;
  static DevMongo mongoServer;
  static PipelineHarness app;
  static String mongoUrl;
  static MongoClient source;
  static final List<String> entities = new ArrayList<>();

  @TempDir static Path dataDir;

  @BeforeAll
  static void start() throws Exception {
    pg = DevPostgres.startTemporary();
    mongoServer = DevMongo.start(0);
    mongoUrl = mongoServer.url("app");
    JsonObject cfg =
        PipelineHarness.config(
            pg, mongoServer, dataDir.resolve("node1"), "oplog", "replicator", "listener", "api");
    // compaction runs only when a scenario asks for it, and then compacts everything committed
    cfg.getJsonObject("oplog").put("retain_history_ms", 0).put("compaction_interval_ms", 0);
    app = PipelineHarness.start(cfg);
    source = MongoClients.create(mongoUrl);
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

  @AfterEach
  void deleteEntities() {
    for (String e : entities) {
      try {
        app.delete(e);
      } catch (Exception ignored) {
        // already deleted by the scenario
      }
    }
    entities.clear();
  }

  static void create(JsonObject definition) throws Exception {
    entities.add(definition.getString("name"));
    app.create(definition);
  }

  static JsonArray narrowColumns() {
    return new JsonArray()
        .add(col("id", "Text", "_id"))
        .add(col("name", "Text", "name"))
        .add(col("n", "Integer", "n"));
  }

  /**
   * The narrow columns plus one of every type, nested paths, an array index and a path through an
   * array.
   */
  static JsonArray wideColumns() {
    return narrowColumns()
        .copy()
        .add(col("big", "Integer", "big"))
        .add(col("score", "Number", "score"))
        .add(col("price", "Number", "price"))
        .add(col("price_text", "Text", "price"))
        .add(col("flag", "Bool", "flag"))
        .add(col("at", "Text", "at"))
        .add(col("tags", "JSONB", "tags"))
        .add(col("first_tag", "Text", "tags.0"))
        .add(col("city", "Text", "addr.city"))
        .add(col("zip", "Integer", "addr.zip"))
        .add(col("misc", "Any", "misc"))
        .add(col("misc_json", "JSONB", "misc"))
        .add(col("extra", "Text", "extra"))
        .add(col("count", "Integer", "count"));
  }

  static MongoCollection<BsonDocument> coll(String name) {
    return source.getDatabase("app").getCollection(name, BsonDocument.class);
  }

  /**
   * Waits until the entity's cache holds some rows: the entity is up before the operation under
   * test starts.
   */
  static void awaitCacheFilled(String entity, String collection) {
    try {
      await("cache of " + entity + " holds rows")
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> SqliteRows.rows(app.dataDir, entity).size() >= 20);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(
          "precondition: the new entity "
              + entity
              + " never got rows before the operation under test\n  context: "
              + context(entity, collection),
          e);
    }
  }

  static Map<String, Map<String, Object>> converge(
      String entity, String collection, JsonArray columns) {
    return ConvergenceCheck.of(mongoUrl, collection, app.dataDir, entity, columns)
        .within(CONVERGE)
        .context(() -> context(entity, collection))
        .awaitConverged();
  }

  /** Entity status, replicator progress and listener state, appended to a convergence failure. */
  static String context(String entity, String collection) {
    StringBuilder sb = new StringBuilder();
    try {
      Entity e = app.get(entity).entity();
      sb.append("entity status=")
          .append(e.status())
          .append(" version=")
          .append(e.version())
          .append(" source=")
          .append(e.shape().sourceName());
    } catch (Exception ex) {
      sb.append("entity: ").append(ex.getMessage());
    }
    try {
      HealthReply r =
          Bus.request(
                  app.vertx.eventBus(),
                  Addresses.REPLICATOR_STATS,
                  new HealthRequest(),
                  HealthReply.class)
              .toCompletionStage()
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS);
      sb.append("\n  replicator: state=")
          .append(r.state())
          .append(" last_error=")
          .append(r.details().getValue("last_error"))
          .append(" entity=")
          .append(r.details().getJsonObject("entities", new JsonObject()).getValue(entity));
    } catch (Exception ex) {
      sb.append("\n  replicator: ").append(ex.getMessage());
    }
    try {
      HealthReply r =
          Bus.request(
                  app.vertx.eventBus(),
                  Addresses.LISTENER_HEALTH,
                  new HealthRequest(),
                  HealthReply.class)
              .toCompletionStage()
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS);
      JsonObject d = r.details();
      JsonArray streams = new JsonArray();
      d.getJsonArray("streams", new JsonArray())
          .forEach(
              s -> {
                JsonObject st = (JsonObject) s;
                if (collection.equals(st.getString("collection"))
                    || collection.equals(st.getString("name"))) {
                  streams.add(st.copy().put("position", (Object) null));
                }
              });
      sb.append("\n  listener: state=")
          .append(r.state())
          .append(" last_error=")
          .append(d.getValue("last_error"))
          .append(" scan=")
          .append(d.getValue("scan"))
          .append(" scan_queue=")
          .append(d.getValue("scan_queue"))
          .append(" stream=")
          .append(streams);
    } catch (Exception ex) {
      sb.append("\n  listener: ").append(ex.getMessage());
    }
    return sb.toString();
  }

  /**
   * Sanity of a scenario: the converged data is not trivially small and {@code column} is filled in
   * most rows.
   */
  static void assertMeaningful(Map<String, Map<String, Object>> rows, String column) {
    assertTrue(
        rows.size() >= 50, "the scenario kept a meaningful number of documents: " + rows.size());
    long filled = rows.values().stream().filter(r -> r.get(column) != null).count();
    assertTrue(
        filled >= rows.size() * 8 / 10,
        column + " is filled in most rows (" + filled + " of " + rows.size() + ")");
  }

  // ---------------------------------------------------------------- a. shape change under writes

  @Test
  @Order(1)
  void shapeChangeToMoreColumnsUnderWritesLeavesNoStaleNulls() {
    String e = "cv_shape_cols";
    WriteLoad w = WriteLoad.start(mongoUrl, e, "w-", KEYS, RATE, 1);
    try {
      w.awaitMoreOps(100);
      create(entity(e, e, narrowColumns()));
      awaitCacheFilled(e, e);
      app.update(entity(e, e, wideColumns()));
      w.awaitMoreOps(300);
    } catch (Exception ex) {
      throw new AssertionError(ex);
    } finally {
      w.stop();
    }
    Map<String, Map<String, Object>> rows = converge(e, e, wideColumns());
    assertMeaningful(rows, "extra");
  }

  @Test
  @Order(2)
  void shapeChangeToAnotherSourceCollectionUnderWrites() {
    String e = "cv_shape_src";
    String a = "cv_shape_src_a";
    String b = "cv_shape_src_b";
    // overlapping ids in both collections: rows of a must be replaced by b's documents or deleted
    WriteLoad wa = WriteLoad.start(mongoUrl, a, "w-", KEYS, RATE / 2, 2);
    WriteLoad wb = WriteLoad.start(mongoUrl, b, "w-", KEYS * 2, RATE / 2, 3);
    try {
      wa.awaitMoreOps(50);
      wb.awaitMoreOps(50);
      create(entity(e, a, narrowColumns()));
      awaitCacheFilled(e, a);
      JsonObject moved = entity(e, b, wideColumns());
      app.update(moved);
      wa.awaitMoreOps(150);
      wb.awaitMoreOps(150);
    } catch (Exception ex) {
      throw new AssertionError(ex);
    } finally {
      wa.stop();
      wb.stop();
    }
    Map<String, Map<String, Object>> rows = converge(e, b, wideColumns());
    assertMeaningful(rows, "extra");
  }

  // ---------------------------------------------------------------- b. delete + re-create under
  // writes

  @Test
  @Order(3)
  void deleteAndRecreateWithTheSameShapeUnderWrites() {
    String e = "cv_recreate_same";
    WriteLoad w = WriteLoad.start(mongoUrl, e, "w-", KEYS, RATE, 4);
    try {
      w.awaitMoreOps(100);
      create(entity(e, e, wideColumns()));
      awaitCacheFilled(e, e);
      app.delete(e);
      app.create(entity(e, e, wideColumns()));
      w.awaitMoreOps(300);
    } catch (Exception ex) {
      throw new AssertionError(ex);
    } finally {
      w.stop();
    }
    converge(e, e, wideColumns());
  }

  @Test
  @Order(4)
  void deleteAndRecreateWithAnotherShapeUnderWrites() {
    String e = "cv_recreate_other";
    WriteLoad w = WriteLoad.start(mongoUrl, e, "w-", KEYS, RATE, 5);
    try {
      w.awaitMoreOps(100);
      create(entity(e, e, narrowColumns()));
      awaitCacheFilled(e, e);
      app.delete(e);
      app.create(entity(e, e, wideColumns()));
      w.awaitMoreOps(300);
    } catch (Exception ex) {
      throw new AssertionError(ex);
    } finally {
      w.stop();
    }
    Map<String, Map<String, Object>> rows = converge(e, e, wideColumns());
    assertMeaningful(rows, "extra");
  }

  // ---------------------------------------------------------------- c. drop of the source
  // collection under writes

  @Test
  @Order(5)
  void dropOfTheSourceCollectionUnderWrites() {
    String e = "cv_drop";
    WriteLoad w = WriteLoad.start(mongoUrl, e, "w-", KEYS, RATE, 6);
    try {
      w.awaitMoreOps(100);
      create(entity(e, e, wideColumns()));
      awaitCacheFilled(e, e);
      w.awaitMoreOps(100);
      ReactiveMongo.all(coll(e).drop());
      // the writer goes on: its inserts and upserts re-create the collection
      w.awaitMoreOps(400);
    } catch (Exception ex) {
      throw new AssertionError(ex);
    } finally {
      w.stop();
    }
    Map<String, Map<String, Object>> rows = converge(e, e, wideColumns());
    assertTrue(!rows.isEmpty(), "the writer re-filled the dropped collection");
  }

  // ---------------------------------------------------------------- d. recreate under writes

  @Test
  @Order(6)
  void recreateOfTheCacheUnderWrites() {
    String e = "cv_rebuild";
    WriteLoad w = WriteLoad.start(mongoUrl, e, "w-", KEYS, RATE, 7);
    try {
      w.awaitMoreOps(100);
      create(entity(e, e, wideColumns()));
      awaitCacheFilled(e, e);
      JobAccepted job =
          Bus.request(
                  app.vertx.eventBus(),
                  Addresses.REPLICATOR_RECREATE,
                  new CacheEntityRequest(e),
                  JobAccepted.class)
              .toCompletionStage()
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS);
      assertTrue(job.jobId() != null && !job.jobId().isBlank(), "recreate accepted: " + job);
      w.awaitMoreOps(300);
    } catch (Exception ex) {
      throw new AssertionError(ex);
    } finally {
      w.stop();
    }
    Map<String, Map<String, Object>> rows = converge(e, e, wideColumns());
    assertMeaningful(rows, "extra");
  }

  // ---------------------------------------------------------------- d2. compaction under writes

  @Test
  @Order(10)
  void compactionAndARebuildFromTheCompactedOplogUnderWrites() {
    String e = "cv_compact";
    WriteLoad w = WriteLoad.start(mongoUrl, e, "c-", KEYS, RATE, 11);
    OplogClient oplog = new OplogClient(app.vertx.eventBus());
    try {
      w.awaitMoreOps(100);
      create(entity(e, e, wideColumns()));
      awaitCacheFilled(e, e);
      w.awaitMoreOps(300);
      CompactionReply first = await(oplog.compact("ConvergenceIT", 120_000));
      assertTrue(first.removed() > 0, "updates and deletes below the horizon removed: " + first);
      // a rebuild reads the compacted state from 0 while the stream keeps appending
      JobAccepted job =
          await(
              Bus.request(
                  app.vertx.eventBus(),
                  Addresses.REPLICATOR_RECREATE,
                  new CacheEntityRequest(e),
                  JobAccepted.class));
      assertTrue(job.jobId() != null && !job.jobId().isBlank(), "recreate accepted: " + job);
      w.awaitMoreOps(200);
      await(oplog.compact("ConvergenceIT, during the rebuild", 120_000));
      w.awaitMoreOps(200);
    } catch (Exception ex) {
      throw new AssertionError(ex);
    } finally {
      w.stop();
    }
    Map<String, Map<String, Object>> rows = converge(e, e, wideColumns());
    assertMeaningful(rows, "extra");
  }

  // ---------------------------------------------------------------- e. mixed _id types

  @Test
  @Order(7)
  void mixedIdTypesAreEachTheirOwnRow() {
    String e = "cv_ids";
    JsonArray columns =
        new JsonArray()
            .add(col("id", "Text", "_id"))
            .add(col("raw_id", "JSONB", "_id"))
            .add(col("any_id", "Any", "_id"))
            .add(col("label", "Text", "label"))
            .add(col("name", "Text", "name"));
    String h = new ObjectId().toHexString();
    UUID uuid = UUID.randomUUID();
    Instant date = Instant.parse("2024-01-02T03:04:05.006Z");
    Map<String, BsonValue> ids = new LinkedHashMap<>();
    ids.put("int 1", new BsonInt32(1));
    ids.put("string \"1\"", new BsonString("1"));
    ids.put("double 1.5", new BsonDouble(1.5));
    ids.put("Decimal128 0.1", new BsonDecimal128(Decimal128.parse("0.1")));
    // not double 0.1 beside it: the wire-protocol test server cannot hold both (after both inserts
    // succeed, and their change events arrive, a find returns only the decimal one; MongoDB keeps
    // both,
    // their values differ). DocIdsTest covers their distinct doc ids.
    ids.put("ObjectId h", new BsonObjectId(new ObjectId(h)));
    ids.put("string h", new BsonString(h));
    ids.put("true", BsonBoolean.TRUE);
    ids.put("string \"true\"", new BsonString("true"));
    ids.put("UUID", new BsonBinary(uuid));
    ids.put("UUID string", new BsonString(uuid.toString()));
    ids.put("date", new BsonDateTime(date.toEpochMilli()));
    ids.put("ISO string", new BsonString(date.toString()));
    ids.put("{a:1}", new BsonDocument("a", new BsonInt32(1)));
    ids.put("string '{\"a\":1}'", new BsonString("{\"a\":1}"));
    ids.put("\"~tilde\"", new BsonString("~tilde"));
    ids.put("empty string", new BsonString(""));
    // null is in nullIdIsItsOwnRow: the test server cannot look up updates in a collection holding
    // it
    List<String> deleted =
        List.of(
            "string \"1\"",
            "Decimal128 0.1",
            "string h",
            "true",
            "UUID string",
            "date",
            "{a:1}",
            "empty string");
    List<String> updated =
        List.of("int 1", "double 1.5", "ObjectId h", "string \"true\"", "\"~tilde\"");
    List<String> refused = new ArrayList<>();

    WriteLoad w = WriteLoad.start(mongoUrl, e, "w-", KEYS, RATE, 8);
    try {
      w.awaitMoreOps(100);
      create(entity(e, e, columns));
      awaitCacheFilled(e, e);
      int k = 0;
      for (Map.Entry<String, BsonValue> id : ids.entrySet()) {
        try {
          ReactiveMongo.one(
              coll(e)
                  .insertOne(
                      new BsonDocument("_id", id.getValue())
                          .append("label", new BsonString("mixed-" + k++))
                          .append("name", new BsonString(id.getKey()))));
        } catch (RuntimeException ex) {
          refused.add(id.getKey() + ": " + ex.getMessage());
        }
      }
      w.awaitMoreOps(100);
      for (String key : deleted) {
        ReactiveMongo.one(coll(e).deleteOne(Filters.eq("_id", ids.get(key))));
      }
      for (String key : updated) {
        ReactiveMongo.one(
            coll(e)
                .updateOne(
                    Filters.eq("_id", ids.get(key)), Updates.set("label", "updated " + key)));
      }
      w.awaitMoreOps(200);
    } catch (Exception ex) {
      throw new AssertionError(ex);
    } finally {
      w.stop();
    }
    Map<String, Map<String, Object>> rows = converge(e, e, columns);
    assertEquals(List.of(), refused, "the source accepted every _id");
    for (Map.Entry<String, BsonValue> id : ids.entrySet()) {
      String docId = ConvergenceCheck.docId(id.getValue());
      assertEquals(
          !deleted.contains(id.getKey()),
          rows.containsKey(docId),
          id.getKey() + " (" + docId + ") present in the source and cache");
    }
  }

  @Test
  @Order(8)
  void nullIdIsItsOwnRow() {
    // Own collection, inserts and deletes only: see WriteLoad.startInsertsAndDeletes (test-server
    // bug with a null _id and updates).
    String e = "cv_null_id";
    JsonArray columns =
        new JsonArray()
            .add(col("id", "Text", "_id"))
            .add(col("raw_id", "JSONB", "_id"))
            .add(col("name", "Text", "name"));
    Map<String, BsonValue> ids = new LinkedHashMap<>();
    ids.put("null", BsonNull.VALUE);
    ids.put("string \"~null\"", new BsonString("~null"));
    ids.put("string \"null\"", new BsonString("null"));
    ids.put("string \"~s:~null\"", new BsonString("~s:~null"));
    List<String> refused = new ArrayList<>();
    WriteLoad w = WriteLoad.startInsertsAndDeletes(mongoUrl, e, "w-", KEYS, RATE, 10);
    try {
      w.awaitMoreOps(100);
      create(entity(e, e, columns));
      awaitCacheFilled(e, e);
      for (Map.Entry<String, BsonValue> id : ids.entrySet()) {
        try {
          ReactiveMongo.one(
              coll(e)
                  .insertOne(
                      new BsonDocument("_id", id.getValue())
                          .append("name", new BsonString(id.getKey()))));
        } catch (RuntimeException ex) {
          refused.add(id.getKey() + ": " + ex.getMessage());
        }
      }
      w.awaitMoreOps(100);
      ReactiveMongo.one(coll(e).deleteOne(Filters.eq("_id", new BsonString("~s:~null"))));
      w.awaitMoreOps(200);
    } catch (Exception ex) {
      throw new AssertionError(ex);
    } finally {
      w.stop();
    }
    Map<String, Map<String, Object>> rows = converge(e, e, columns);
    assertEquals(List.of(), refused, "the source accepted every _id");
    assertTrue(
        rows.containsKey("~null")
            && rows.containsKey("~s:~null")
            && rows.containsKey("null")
            && !rows.containsKey("~s:~s:~null"),
        "null, \"~null\" and \"null\" are three rows, \"~s:~null\" was deleted: " + rows.keySet());
  }

  // ---------------------------------------------------------------- f. U+0000 in a value and in an
  // _id

  @Test
  @Order(9)
  void nulCharactersInAValueAndAnIdDoNotStopLaterWrites() {
    String e = "cv_nul";
    JsonArray columns =
        new JsonArray()
            .add(col("id", "Text", "_id"))
            .add(col("name", "Text", "name"))
            .add(col("tags", "JSONB", "tags"))
            .add(col("misc", "Any", "misc"))
            .add(col("extra", "Text", "extra"));
    WriteLoad w = WriteLoad.start(mongoUrl, e, "w-", KEYS, RATE, 9);
    try {
      w.awaitMoreOps(100);
      create(entity(e, e, columns));
      awaitCacheFilled(e, e);
      ReactiveMongo.one(
          coll(e)
              .insertOne(
                  new BsonDocument("_id", new BsonString("nul-value"))
                      .append("name", new BsonString("a\u0000b"))
                      .append("tags", new org.bson.BsonArray(List.of(new BsonString("x\u0000y"))))
                      .append("misc", new BsonString("m\u0000"))));
      ReactiveMongo.one(
          coll(e)
              .insertOne(
                  new BsonDocument("_id", new BsonString("nul\u0000id"))
                      .append("name", new BsonString("plain"))));
      w.awaitMoreOps(300);
      ReactiveMongo.one(
          coll(e)
              .insertOne(
                  new BsonDocument("_id", new BsonString("after-nul"))
                      .append("name", new BsonString("last write"))));
    } catch (Exception ex) {
      throw new AssertionError(ex);
    } finally {
      w.stop();
    }
    Map<String, Map<String, Object>> rows = converge(e, e, columns);
    assertEquals("a\uFFFDb", rows.get("nul-value").get("name"));
    assertTrue(rows.containsKey("~s:nul\\0id") && rows.containsKey("after-nul"));
  }
}
