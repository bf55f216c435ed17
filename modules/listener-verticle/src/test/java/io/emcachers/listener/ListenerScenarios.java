package io.emcachers.listener;

import static io.emcachers.listener.ListenerTestSupport.TIMEOUT_S;
import static io.emcachers.listener.ListenerTestSupport.awaitStatus;
import static io.emcachers.listener.ListenerTestSupport.cacheOf;
import static io.emcachers.listener.ListenerTestSupport.createEntity;
import static io.emcachers.listener.ListenerTestSupport.deployListener;
import static io.emcachers.listener.ListenerTestSupport.entity;
import static io.emcachers.listener.ListenerTestSupport.health;
import static io.emcachers.listener.ListenerTestSupport.listenerConfig;
import static io.emcachers.listener.ListenerTestSupport.oplog;
import static io.emcachers.listener.ListenerTestSupport.source;
import static io.emcachers.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.EntityNameRequest;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.EntityUpsertRequest;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.ResumeTokenReply;
import io.emcachers.core.messages.ResumeTokenRequest;
import io.emcachers.core.messages.StatusEvent;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.model.Oplog;
import io.emcachers.devservices.DevPostgres;
import io.emcachers.oplog.OplogVerticle;
import io.emcachers.testsupport.TestVertx;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.MongoClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The listener scenarios, against a real PostgreSQL (DevPostgres) and the real oplog verticle, with
 * the MongoDB a subclass provides ({@link ListenerTest}: the wire-protocol server; {@link
 * ListenerMongoReplicaSetIT}: a real replica set). Servers start once per class; each test uses its
 * own collections and entities and deploys its own listener. What reached the oplog is read back
 * with {@code emc.oplog.read}.
 */
abstract class ListenerScenarios {

  @TempDir static Path dir;

  static DevPostgres pg;
  static Vertx vertx;
  static MongoClient mongo;
  static String mongoUrl;
  static final List<StatusEvent> status = new CopyOnWriteArrayList<>();

  String listenerId;

  /** Called by the subclass's {@code @BeforeAll} once its MongoDB is up. */
  static void startServers(String sourceUrl) {
    // metrics are not enabled on this Vert.x: the listener falls back to the global registry,
    // which records only once a concrete registry is attached
    Metrics.globalRegistry.add(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    pg = new DevPostgres(dir.resolve("pg"), 0).start();
    mongoUrl = sourceUrl;
    vertx = TestVertx.create();
    JsonObject root =
        new JsonObject()
            .put("node_id", "test-node")
            .put(
                "postgres",
                new JsonObject()
                    .put("url", pg.url())
                    .put("pool_size", 4)
                    .put("connect_timeout_ms", 2000))
            .put(
                "oplog",
                new JsonObject()
                    .put("standby_retry_ms", 200)
                    .put("entity_refresh_interval_ms", 60000)
                    .put("reconnect_initial_backoff_ms", 50)
                    .put("reconnect_max_backoff_ms", 500));
    await(vertx.deployVerticle(new OplogVerticle(), new DeploymentOptions().setConfig(root)));
    mongo =
        MongoClient.create(
            vertx, new JsonObject().put("connection_string", mongoUrl).put("db_name", "app"));
    vertx
        .eventBus()
        .<Object>consumer(
            Addresses.STATUS,
            m -> {
              if (m.body() instanceof StatusEvent e) {
                status.add(e);
              }
            });
  }

  @AfterAll
  static void stopServers() {
    if (mongo != null) {
      mongo.close();
    }
    if (vertx != null) {
      await(vertx.close());
    }
    if (pg != null) {
      pg.close();
    }
  }

  @AfterEach
  void undeployListener() {
    if (listenerId != null) {
      await(vertx.undeploy(listenerId));
      listenerId = null;
    }
  }

  static JsonObject doc(String id, String name, Object n) {
    return new JsonObject().put("_id", id).put("name", name).put("n", n);
  }

  static void insert(String coll, JsonObject doc) {
    await(mongo.insert(coll, doc));
  }

  /**
   * Awaits until the cache built from the oplog equals the source projected onto name:Text,
   * n:Integer.
   */
  static void awaitConverged(String entity, String coll) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(TIMEOUT_S))
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(
            () -> {
              Map<String, JsonObject> src = source(mongo, coll);
              Map<String, JsonObject> cache = cacheOf(vertx, entity);
              assertEquals(src.keySet(), cache.keySet(), "doc ids of " + entity);
              for (Map.Entry<String, JsonObject> e : src.entrySet()) {
                JsonObject row = cache.get(e.getKey());
                assertEquals(
                    e.getValue().getString("name"), row.getString("name"), "name of " + e.getKey());
                Object n = e.getValue().getValue("n");
                assertEquals(
                    n == null ? null : ((Number) n).longValue(),
                    row.getValue("n") == null ? null : ((Number) row.getValue("n")).longValue(),
                    "n of " + e.getKey());
              }
            });
  }

  @Test
  void insertUpdateReplaceDeleteReachTheOplog() {
    createEntity(vertx, "crud", "crud_src", "name:Text", "n:Integer");
    listenerId = deployListener(vertx, listenerConfig(mongoUrl));
    awaitStatus(vertx, "crud", EntityStatus.live);

    insert("crud_src", doc("a", "alpha", 1));
    insert("crud_src", doc("b", "beta", 2));
    await(
        mongo.updateCollection(
            "crud_src",
            new JsonObject().put("_id", "a"),
            new JsonObject().put("$set", new JsonObject().put("n", 10))));
    await(
        mongo.replaceDocuments(
            "crud_src",
            new JsonObject().put("_id", "b"),
            new JsonObject().put("name", "BETA").put("n", 20)));
    // an update event read after its document was deleted carries no state and is skipped (the
    // delete follows), so let the update be read first to make the row sequence deterministic
    Awaitility.await()
        .atMost(Duration.ofSeconds(TIMEOUT_S))
        .until(() -> oplog(vertx, "crud").size() >= 4);
    await(mongo.removeDocuments("crud_src", new JsonObject().put("_id", "a")));
    Awaitility.await()
        .atMost(Duration.ofSeconds(TIMEOUT_S))
        .until(() -> oplog(vertx, "crud").size() >= 5);
    List<Oplog> rows = oplog(vertx, "crud");
    List<String> ops = rows.stream().map(r -> r.operation().name() + ":" + r.docId()).toList();
    assertEquals(List.of("Upsert:a", "Upsert:b", "Upsert:a", "Upsert:b", "Delete:a"), ops);
    assertEquals(10, rows.get(2).data().getInteger("n"));
    assertEquals("BETA", rows.get(3).data().getString("name"));
    assertNull(rows.get(4).data());
    awaitConverged("crud", "crud_src");

    HealthReply h = health(vertx);
    assertTrue(h.ok());
    assertEquals("streaming", h.state());
    assertEquals("test-node", h.details().getString("node"));
    assertFalse(h.details().getJsonArray("jobs").isEmpty());
    assertTrue(
        h.details().getJsonArray("streams").stream()
            .anyMatch(s -> ((JsonObject) s).getString("name").equals("crud_src")));
  }

  @Test
  void oneCollectionFansOutToTwoEntitiesAndUnwatchedCollectionsAreIgnored() {
    createEntity(vertx, "fan_names", "fan_src", "name:Text");
    createEntity(vertx, "fan_numbers", "fan_src", "n:Integer", "label:Text:name");
    listenerId = deployListener(vertx, listenerConfig(mongoUrl));
    awaitStatus(vertx, "fan_names", EntityStatus.live);
    awaitStatus(vertx, "fan_numbers", EntityStatus.live);

    insert("fan_src", doc("x", "ex", 7));
    insert("fan_unwatched", doc("u", "nobody", 1));
    insert("fan_src", doc("y", "why", 8));

    Awaitility.await()
        .atMost(Duration.ofSeconds(TIMEOUT_S))
        .until(
            () -> oplog(vertx, "fan_names").size() == 2 && oplog(vertx, "fan_numbers").size() == 2);
    assertEquals(new JsonObject().put("name", "ex"), oplog(vertx, "fan_names").get(0).data());
    JsonObject numbers = oplog(vertx, "fan_numbers").get(1).data();
    assertEquals(8, numbers.getInteger("n"));
    assertEquals("why", numbers.getString("label"));
    // no stream for a collection no entity uses, and nothing of it in the oplog
    JsonArray streams = health(vertx).details().getJsonArray("streams");
    assertTrue(
        streams.stream().noneMatch(s -> ((JsonObject) s).getString("name").equals("fan_unwatched")),
        streams.encode());
    assertTrue(oplog(vertx, "fan_names").stream().noneMatch(r -> r.docId().equals("u")));
  }

  @Test
  void restartResumesFromTheCommittedTokenWithNoLossAndNoGap() {
    createEntity(vertx, "restart", "restart_src", "name:Text", "n:Integer");
    listenerId = deployListener(vertx, listenerConfig(mongoUrl));
    awaitStatus(vertx, "restart", EntityStatus.live);
    for (int i = 0; i < 200; i++) {
      insert("restart_src", doc("r" + i, "v1", i));
    }
    Awaitility.await()
        .atMost(Duration.ofSeconds(TIMEOUT_S))
        .until(() -> oplog(vertx, "restart").size() >= 100);
    await(vertx.undeploy(listenerId));
    listenerId = null;
    long versionBefore = entity(vertx, "restart").version();
    // writes while no listener runs
    for (int i = 100; i < 300; i++) {
      if (i < 200) {
        await(
            mongo.updateCollection(
                "restart_src",
                new JsonObject().put("_id", "r" + i),
                new JsonObject().put("$set", new JsonObject().put("name", "v2"))));
      } else {
        insert("restart_src", doc("r" + i, "v1", i));
      }
    }
    JsonObject token =
        await(
                Bus.request(
                    vertx.eventBus(),
                    Addresses.OPLOG_RESUME_TOKEN,
                    new ResumeTokenRequest(),
                    ResumeTokenReply.class))
            .tokenFor("restart_src");
    assertNotNull(token, "a token was committed for the stream");

    listenerId = deployListener(vertx, listenerConfig(mongoUrl));
    awaitConverged("restart", "restart_src");
    // it resumed (no re-scan): the entity never left live, and the stream continues a stored
    // position
    assertEquals(versionBefore, entity(vertx, "restart").version());
    JsonObject stream =
        health(vertx).details().getJsonArray("streams").stream()
            .map(JsonObject.class::cast)
            .filter(s -> s.getString("name").equals("restart_src"))
            .findFirst()
            .orElseThrow();
    assertTrue(stream.getJsonObject("position").getBoolean("continuous"), stream.encode());
    // no gap: every source write after the restart is in the oplog after the rows before it
    List<Oplog> rows = oplog(vertx, "restart");
    for (int i = 200; i < 300; i++) {
      String id = "r" + i;
      assertTrue(rows.stream().anyMatch(r -> r.docId().equals(id)), "row for " + id);
    }
  }

  @Test
  void initialScanWhileWritesContinueConvergesToTheSource() throws Exception {
    for (int i = 0; i < 1500; i++) {
      insert("scan_src", doc(String.format("s%05d", i), "initial", i));
    }
    createEntity(vertx, "scan", "scan_src", "name:Text", "n:Integer");
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicInteger written = new AtomicInteger();
    Thread writer =
        new Thread(
            () -> {
              int i = 0;
              while (writing.get() && i < 3000) {
                String id = String.format("s%05d", (i * 7) % 1800);
                int op = i % 4;
                if (op == 0) {
                  mongo
                      .removeDocuments("scan_src", new JsonObject().put("_id", id))
                      .toCompletionStage()
                      .toCompletableFuture()
                      .join();
                } else if (op == 1) {
                  mongo
                      .save("scan_src", doc(id, "saved" + i, i))
                      .toCompletionStage()
                      .toCompletableFuture()
                      .join();
                } else {
                  mongo
                      .updateCollection(
                          "scan_src",
                          new JsonObject().put("_id", id),
                          new JsonObject().put("$set", new JsonObject().put("name", "upd" + i)))
                      .toCompletionStage()
                      .toCompletableFuture()
                      .join();
                }
                written.incrementAndGet();
                i++;
              }
            });
    writer.start();
    listenerId = deployListener(vertx, listenerConfig(mongoUrl));
    awaitStatus(vertx, "scan", EntityStatus.live);
    writing.set(false);
    writer.join();
    assertTrue(written.get() > 0);
    awaitConverged("scan", "scan_src");
    assertTrue(
        status.stream()
            .anyMatch(e -> "scan".equals(e.entity()) && StatusEvent.TYPE_PROGRESS.equals(e.type())),
        "scan progress published");
  }

  @Test
  void entityAddedWhileStreamingIsScannedThenLive() {
    createEntity(vertx, "first", "first_src", "name:Text", "n:Integer");
    listenerId = deployListener(vertx, listenerConfig(mongoUrl));
    awaitStatus(vertx, "first", EntityStatus.live);
    for (int i = 0; i < 300; i++) {
      insert("second_src", doc("p" + i, "pre", i));
    }
    insert("first_src", doc("f1", "one", 1));
    createEntity(vertx, "second", "second_src", "name:Text", "n:Integer");
    for (int i = 300; i < 400; i++) {
      insert("second_src", doc("p" + i, "during", i));
      if (i % 10 == 0) {
        await(
            mongo.updateCollection(
                "second_src",
                new JsonObject().put("_id", "p" + (i - 300)),
                new JsonObject().put("$set", new JsonObject().put("name", "changed"))));
      }
    }
    awaitStatus(vertx, "second", EntityStatus.live);
    insert("second_src", doc("p-after", "after", 1000));
    awaitConverged("second", "second_src");
    awaitConverged("first", "first_src");
  }

  @Test
  void invalidStoredTokenRescansOnlyTheAffectedEntities() {
    createEntity(vertx, "bad_tok", "bad_tok_src", "name:Text", "n:Integer");
    createEntity(vertx, "good_tok", "good_tok_src", "name:Text", "n:Integer");
    listenerId = deployListener(vertx, listenerConfig(mongoUrl));
    awaitStatus(vertx, "bad_tok", EntityStatus.live);
    awaitStatus(vertx, "good_tok", EntityStatus.live);
    for (int i = 0; i < 50; i++) {
      insert("bad_tok_src", doc("b" + i, "v1", i));
      insert("good_tok_src", doc("g" + i, "v1", i));
    }
    awaitConverged("bad_tok", "bad_tok_src");
    awaitConverged("good_tok", "good_tok_src");
    await(vertx.undeploy(listenerId));
    listenerId = null;

    // the stored position of one stream becomes unusable
    await(
        Bus.request(
            vertx.eventBus(),
            Addresses.OPLOG_APPEND,
            AppendBatch.stream(
                "bad_tok_src", new JsonObject().put("_data", "not-a-position"), List.of()),
            AppendResult.class));
    for (int i = 0; i < 50; i++) {
      await(
          mongo.updateCollection(
              "bad_tok_src",
              new JsonObject().put("_id", "b" + i),
              new JsonObject().put("$set", new JsonObject().put("name", "v2"))));
    }
    insert("bad_tok_src", doc("b-new", "new", 99));
    long goodVersion = entity(vertx, "good_tok").version();
    long badVersion = entity(vertx, "bad_tok").version();
    int before = status.size();

    listenerId = deployListener(vertx, listenerConfig(mongoUrl));
    Awaitility.await()
        .atMost(Duration.ofSeconds(TIMEOUT_S))
        .until(
            () ->
                entity(vertx, "bad_tok").version() >= badVersion + 2
                    && entity(vertx, "bad_tok").status() == EntityStatus.live);
    awaitConverged("bad_tok", "bad_tok_src");
    assertEquals(
        goodVersion, entity(vertx, "good_tok").version(), "the other entity was not re-scanned");
    assertTrue(
        status.subList(before, status.size()).stream()
            .anyMatch(
                e ->
                    "bad_tok".equals(e.entity())
                        && "rescan".equals(e.state())
                        && StatusEvent.TYPE_ERROR.equals(e.type())),
        "re-scan reported on emc.status");
    insert("good_tok_src", doc("g-new", "new", 99));
    awaitConverged("good_tok", "good_tok_src");
  }

  @Test
  void documentThatBreaksTheShapeReplicatesWithNullsAndACountedError() {
    createEntity(vertx, "typed", "typed_src", "name:Text", "n:Integer", "flag:Bool");
    listenerId = deployListener(vertx, listenerConfig(mongoUrl));
    awaitStatus(vertx, "typed", EntityStatus.live);
    double before = coercionErrors("typed", "n");
    int statusBefore = status.size();

    insert(
        "typed_src",
        new JsonObject().put("_id", "ok").put("name", "fine").put("n", 5).put("flag", true));
    insert(
        "typed_src",
        new JsonObject()
            .put("_id", "bad")
            .put("name", new JsonObject().put("first", "x"))
            .put("n", "not a number")
            .put("flag", "yes"));

    Awaitility.await()
        .atMost(Duration.ofSeconds(TIMEOUT_S))
        .until(() -> oplog(vertx, "typed").size() == 2);
    JsonObject bad = oplog(vertx, "typed").get(1).data();
    assertEquals("bad", oplog(vertx, "typed").get(1).docId());
    assertTrue(bad.containsKey("n"));
    assertNull(bad.getValue("n"));
    assertNull(bad.getValue("name"));
    assertNull(bad.getValue("flag"));
    assertEquals(5, oplog(vertx, "typed").get(0).data().getInteger("n"));
    assertEquals(before + 1, coercionErrors("typed", "n"));
    assertEquals(1, health(vertx).details().getJsonObject("coercion_errors").getInteger("typed.n"));
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                status.subList(statusBefore, status.size()).stream()
                    .anyMatch(
                        e ->
                            "typed".equals(e.entity())
                                && "coercion_error".equals(e.state())
                                && "n".equals(e.data().getString("column"))));
    // at most one report per entity/column per interval
    insert("typed_src", new JsonObject().put("_id", "bad2").put("n", "again"));
    Awaitility.await()
        .atMost(Duration.ofSeconds(TIMEOUT_S))
        .until(() -> oplog(vertx, "typed").size() == 3);
    assertEquals(before + 2, coercionErrors("typed", "n"));
    long reports =
        status.subList(statusBefore, status.size()).stream()
            .filter(
                e ->
                    "typed".equals(e.entity())
                        && "coercion_error".equals(e.state())
                        && "n".equals(e.data().getString("column")))
            .count();
    assertEquals(1, reports);
  }

  @Test
  void deletingTheLastEntityOfACollectionStopsItsStream() {
    createEntity(vertx, "gone", "gone_src", "name:Text");
    listenerId = deployListener(vertx, listenerConfig(mongoUrl));
    awaitStatus(vertx, "gone", EntityStatus.live);
    assertTrue(streamNames().contains("gone_src"));
    await(
        Bus.request(
            vertx.eventBus(),
            Addresses.ENTITIES_DELETE,
            new EntityNameRequest("gone"),
            EntityReply.class));
    Awaitility.await()
        .atMost(Duration.ofSeconds(TIMEOUT_S))
        .until(() -> !streamNames().contains("gone_src"));
  }

  @Test
  void shapeChangeRescansTheEntity() {
    createEntity(vertx, "reshape", "reshape_src", "name:Text");
    for (int i = 0; i < 20; i++) {
      insert("reshape_src", doc("s" + i, "n" + i, i));
    }
    listenerId = deployListener(vertx, listenerConfig(mongoUrl));
    awaitStatus(vertx, "reshape", EntityStatus.live);
    long v = entity(vertx, "reshape").version();
    await(
        Bus.request(
            vertx.eventBus(),
            Addresses.ENTITIES_UPDATE,
            new EntityUpsertRequest(
                ListenerTestSupport.definition("reshape", "reshape_src", "name:Text", "n:Integer")),
            EntityReply.class));
    Awaitility.await()
        .atMost(Duration.ofSeconds(TIMEOUT_S))
        .until(
            () -> {
              var e = entity(vertx, "reshape");
              return e.status() == EntityStatus.live && e.version() > v + 1;
            });
    awaitConverged("reshape", "reshape_src");
  }

  @Test
  void scanReadsEveryIdTypeInIdOrderAcrossBatches() {
    List<io.vertx.ext.mongo.BulkOperation> ops = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      ops.add(
          io.vertx.ext.mongo.BulkOperation.createInsert(
              new JsonObject().put("_id", i).put("name", "int" + i)));
      ops.add(
          io.vertx.ext.mongo.BulkOperation.createInsert(
              new JsonObject().put("_id", "s" + i).put("name", "str" + i)));
      ops.add(
          io.vertx.ext.mongo.BulkOperation.createInsert(
              new JsonObject()
                  .put("_id", new JsonObject().put("$oid", String.format("%024x", 1000 + i)))
                  .put("name", "oid" + i)));
    }
    await(mongo.bulkWrite("mixed_src", ops));
    createEntity(vertx, "mixed", "mixed_src", "name:Text");
    JsonObject root = listenerConfig(mongoUrl);
    root.getJsonObject("listener").put("scan_batch_size", 5);
    listenerId = deployListener(vertx, root);
    awaitStatus(vertx, "mixed", EntityStatus.live);
    Map<String, JsonObject> cache = cacheOf(vertx, "mixed");
    assertEquals(36, cache.size(), cache.keySet().toString());
    assertEquals(
        "int3", cache.get("~n:3").getString("name"), "int _id 3 has doc id ~n:3 (DocIds rule 2)");
    assertEquals("str3", cache.get("s3").getString("name"));
    assertEquals("oid3", cache.get(String.format("%024x", 1003)).getString("name"));
  }

  static List<String> streamNames() {
    List<String> names = new ArrayList<>();
    health(vertx)
        .details()
        .getJsonArray("streams")
        .forEach(s -> names.add(((JsonObject) s).getString("name")));
    return names;
  }

  @Test
  void aNulInAValueOrAnIdNeverBlocksTheStream() {
    createEntity(vertx, "nul", "nul_src", "name:Text", "n:Integer");
    listenerId = deployListener(vertx, listenerConfig(mongoUrl));
    awaitStatus(vertx, "nul", EntityStatus.live);
    int before = status.size();
    insert("nul_src", doc("v", "a\u0000b", 1));
    insert("nul_src", doc("k\u0000", "id with a NUL", 2));
    insert("nul_src", doc("after", "later write", 3));
    Awaitility.await()
        .atMost(Duration.ofSeconds(TIMEOUT_S))
        .until(() -> cacheOf(vertx, "nul").containsKey("after"));
    Map<String, JsonObject> cache = cacheOf(vertx, "nul");
    assertEquals(
        "a\uFFFDb", cache.get("v").getString("name"), "a NUL in a value is stored as U+FFFD");
    assertEquals(
        "id with a NUL",
        cache.get("~s:k\\0").getString("name"),
        "a NUL in an _id gets the escaped doc id");
    Awaitility.await()
        .atMost(Duration.ofSeconds(TIMEOUT_S))
        .until(
            () ->
                status.subList(before, status.size()).stream()
                    .anyMatch(
                        e ->
                            "nul".equals(e.entity())
                                && "coercion_error".equals(e.state())
                                && "nul_replaced".equals(e.data().getString("reason"))));
  }

  @Test
  void droppingTheCollectionEmptiesTheCacheAndItFollowsTheNewContents() {
    createEntity(vertx, "dropped", "dropped_src", "name:Text", "n:Integer");
    insert("dropped_src", doc("a", "alpha", 1));
    insert("dropped_src", doc("b", "beta", 2));
    listenerId = deployListener(vertx, listenerConfig(mongoUrl));
    awaitStatus(vertx, "dropped", EntityStatus.live);
    awaitConverged("dropped", "dropped_src");
    await(mongo.dropCollection("dropped_src"));
    insert("dropped_src", doc("c", "gamma", 3));
    awaitConverged("dropped", "dropped_src");
    assertEquals(List.of("c"), List.copyOf(cacheOf(vertx, "dropped").keySet()));
  }

  @Test
  void aStreamCreatedAgainForAWatchedCollectionResumesFromItsStoredPosition() {
    createEntity(vertx, "first_user", "again_src", "name:Text", "n:Integer");
    listenerId = deployListener(vertx, listenerConfig(mongoUrl));
    awaitStatus(vertx, "first_user", EntityStatus.live);
    insert("again_src", doc("a", "alpha", 1));
    Awaitility.await()
        .atMost(Duration.ofSeconds(TIMEOUT_S))
        .until(() -> oplog(vertx, "first_user").size() == 1);
    await(
        Bus.request(
            vertx.eventBus(),
            Addresses.ENTITIES_DELETE,
            new EntityNameRequest("first_user"),
            EntityReply.class));
    Awaitility.await()
        .atMost(Duration.ofSeconds(TIMEOUT_S))
        .until(() -> health(vertx).details().getJsonArray("streams").isEmpty());
    int before = status.size();
    createEntity(vertx, "second_user", "again_src", "name:Text", "n:Integer");
    awaitStatus(vertx, "second_user", EntityStatus.live);
    insert("again_src", doc("b", "beta", 2));
    awaitConverged("second_user", "again_src");
    JsonObject stream = (JsonObject) health(vertx).details().getJsonArray("streams").getValue(0);
    assertEquals(
        0,
        stream.getLong("restarts"),
        "the re-created stream resumed after its stored token: no CONFLICT, no restart "
            + stream.encode());
    assertTrue(
        status.subList(before, status.size()).stream()
            .noneMatch(e -> "second_user".equals(e.entity()) && "rescan".equals(e.state())),
        "no re-scan because of a lost position");
  }

  @Test
  void aDocumentNearTheSixteenMegabyteLimitReplicates() {
    createEntity(vertx, "huge_doc", "huge_doc_src", "name:Text", "n:Integer");
    listenerId = deployListener(vertx, listenerConfig(mongoUrl));
    awaitStatus(vertx, "huge_doc", EntityStatus.live);
    String big = "x".repeat(15 * 1024 * 1024);
    insert("huge_doc_src", doc("big", big, 1));
    insert("huge_doc_src", doc("small", "after the big one", 2));
    Awaitility.await()
        .atMost(Duration.ofSeconds(TIMEOUT_S))
        .until(() -> cacheOf(vertx, "huge_doc").containsKey("small"));
    assertEquals(big.length(), cacheOf(vertx, "huge_doc").get("big").getString("name").length());
  }

  @Test
  void aScanBatchTheOplogRefusesMarksTheEntityFailedInsteadOfRetryingForever() {
    List<io.vertx.ext.mongo.BulkOperation> ops = new ArrayList<>();
    for (int i = 0; i <= 10_000; i++) {
      ops.add(
          io.vertx.ext.mongo.BulkOperation.createInsert(
              new JsonObject().put("_id", "d" + i).put("name", "n").put("n", i)));
    }
    await(mongo.bulkWrite("refused_src", ops));
    createEntity(vertx, "refused", "refused_src", "name:Text");
    int before = status.size();
    JsonObject root = listenerConfig(mongoUrl);
    // a misconfiguration the launcher refuses when both roles share a config: scan batches of
    // 10,001
    // entries against an oplog that takes at most 10,000 fail BAD_REQUEST, whatever the retry
    root.getJsonObject("listener").put("batch_max_entries", 20_000).put("scan_batch_size", 20_000);
    listenerId = deployListener(vertx, root);
    awaitStatus(vertx, "refused", EntityStatus.failed);
    Awaitility.await()
        .atMost(Duration.ofSeconds(TIMEOUT_S))
        .until(
            () ->
                status.subList(before, status.size()).stream()
                    .anyMatch(
                        e ->
                            "refused".equals(e.entity())
                                && "scan_failed".equals(e.state())
                                && e.data().getString("message").contains("max_batch_entries")));
  }

  static double coercionErrors(String entity, String column) {
    Counter c =
        Metrics.globalRegistry
            .find("emc_listener_coercion_errors_total")
            .tag("entity", entity)
            .tag("column", column)
            .counter();
    return c == null ? 0 : c.count();
  }
}
