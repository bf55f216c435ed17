package io.emcachers.listener;

import static io.emcachers.listener.ListenerTestSupport.deployListener;
import static io.emcachers.listener.ListenerTestSupport.health;
import static io.emcachers.listener.ListenerTestSupport.listenerConfig;
import static io.emcachers.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.EntityListReply;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.ResumeTokenReply;
import io.emcachers.core.messages.ScanEndReply;
import io.emcachers.core.messages.StatusEvent;
import io.emcachers.core.model.Column;
import io.emcachers.core.model.DataType;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.model.Shape;
import io.emcachers.devservices.DevMongo;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.BulkOperation;
import io.vertx.ext.mongo.MongoClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A failed append ends the stream's attempt; the next attempt re-reads the committed token and
 * resumes after it, so nothing is lost or doubled; one that fails before any position was committed
 * re-scans the entity instead. The oplog side here is a stand-in on the real bus that keeps each
 * stream's committed token and, like the real one, refuses (CONFLICT) a batch that does not follow
 * it; it fails one batch on demand.
 */
class StreamRetryTest {

  static final int DOCS = 400;

  static DevMongo mongoServer;
  static Vertx vertx;
  static MongoClient mongo;

  static final Map<String, JsonObject> committed = new ConcurrentHashMap<>();
  static final List<String> received = Collections.synchronizedList(new ArrayList<>());
  static final AtomicInteger failuresLeft = new AtomicInteger();
  static final AtomicInteger tokenReads = new AtomicInteger();
  static final AtomicReference<Entity> entity = new AtomicReference<>();
  static final List<StatusEvent> status = new CopyOnWriteArrayList<>();
  String listenerId;

  @BeforeAll
  static void start() {
    mongoServer = DevMongo.start(0);
    vertx = TestVertx.create();
    mongo =
        MongoClient.create(
            vertx,
            new JsonObject()
                .put("connection_string", mongoServer.url("app"))
                .put("db_name", "app"));
    vertx
        .eventBus()
        .<Object>consumer(
            Addresses.STATUS,
            m -> {
              if (m.body() instanceof StatusEvent e) {
                status.add(e);
              }
            });
    vertx
        .eventBus()
        .consumer(
            Addresses.ENTITIES_LIST, m -> m.reply(new EntityListReply(List.of(entity.get()))));
    vertx
        .eventBus()
        .consumer(
            Addresses.OPLOG_RESUME_TOKEN,
            m -> {
              tokenReads.incrementAndGet();
              JsonObject tokens = new JsonObject();
              committed.forEach(tokens::put);
              m.reply(new ResumeTokenReply(tokens));
            });
    vertx
        .eventBus()
        .consumer(
            Addresses.OPLOG_SCAN_BEGIN,
            m -> {
              Entity e = entity.get();
              entity.set(
                  new Entity(
                      e.name(),
                      e.shape(),
                      EntityStatus.scanning,
                      e.version() + 1,
                      e.createdAt(),
                      Instant.now(),
                      e.epoch() + 1));
              m.reply(new EntityReply(entity.get()));
            });
    vertx
        .eventBus()
        .consumer(
            Addresses.OPLOG_SCAN_END,
            m -> {
              Entity e = entity.get();
              entity.set(
                  new Entity(
                      e.name(),
                      e.shape(),
                      EntityStatus.live,
                      e.version() + 1,
                      e.createdAt(),
                      Instant.now(),
                      e.epoch()));
              m.reply(new ScanEndReply(entity.get(), 0, 0));
            });
    vertx
        .eventBus()
        .<AppendBatch>consumer(
            Addresses.OPLOG_APPEND,
            m -> {
              AppendBatch body = m.body();
              // acks arrive a little later, so later batches are in flight when one fails
              vertx.setTimer(
                  20,
                  t -> {
                    if (!(body instanceof AppendBatch.StreamBatch b)) {
                      m.reply(new AppendResult(0, 0, body.entries().size(), 0, null, null));
                      return;
                    }
                    JsonObject follows =
                        b.expectedToken() == null ? null : b.expectedToken().getJsonObject("v");
                    if (!Objects.equals(follows, committed.get(b.stream()))) {
                      m.fail(ErrorCodes.CONFLICT, "batch does not follow the stored token");
                      return;
                    }
                    if (!b.entries().isEmpty()
                        && failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                      m.fail(ErrorCodes.UNAVAILABLE, "injected append failure");
                      return;
                    }
                    if (b.resumeToken() != null) {
                      committed.put(b.stream(), b.resumeToken());
                    }
                    b.entries().forEach(e -> received.add(e.docId()));
                    m.reply(
                        new AppendResult(0, 0, b.entries().size(), 0, b.stream(), b.resumeToken()));
                  });
            });
  }

  @AfterAll
  static void stop() {
    if (mongo != null) {
      mongo.close();
    }
    if (vertx != null) {
      await(vertx.close());
    }
    if (mongoServer != null) {
      mongoServer.close();
    }
  }

  @AfterEach
  void undeploy() {
    if (listenerId != null) {
      await(vertx.undeploy(listenerId));
    }
    committed.clear();
    received.clear();
    failuresLeft.set(0);
  }

  static void define(String name) {
    Shape shape = new Shape(name, name + "_src", List.of(new Column("n", DataType.Integer, "n")));
    entity.set(new Entity(name, shape, EntityStatus.pending, 1, Instant.now(), Instant.now()));
  }

  void deploy() {
    JsonObject root = listenerConfig(mongoServer.url("app"));
    root.getJsonObject("listener")
        .put("require_local_leader", false)
        .put("batch_max_entries", 25)
        .put("max_unacked_batches", 4);
    listenerId = deployListener(vertx, root);
  }

  @Test
  void aFailedAppendIsRetriedByANewAttemptFromTheCommittedToken() {
    define("retry");
    deploy();
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> entity.get().status() == EntityStatus.live);
    // a first committed position, so a failure later is a reconnect, not a lost position
    await(mongo.insert("retry_src", new JsonObject().put("_id", "a").put("n", -1)));
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> received.contains("a"));
    int readsBefore = tokenReads.get();

    failuresLeft.set(1);
    List<BulkOperation> ops = new ArrayList<>();
    for (int i = 0; i < DOCS; i++) {
      ops.add(
          BulkOperation.createInsert(
              new JsonObject().put("_id", String.format("d%04d", i)).put("n", i)));
    }
    await(mongo.bulkWrite("retry_src", ops));

    List<String> expected = new ArrayList<>(List.of("a"));
    for (int i = 0; i < DOCS; i++) {
      expected.add(String.format("d%04d", i));
    }
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> received.size() >= expected.size());
    assertEquals(expected, List.copyOf(received), "every write committed once, in source order");
    assertEquals(0, failuresLeft.get());
    assertTrue(tokenReads.get() > readsBefore, "the next attempt re-read the committed token");
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              JsonObject stream = health(vertx).details().getJsonArray("streams").getJsonObject(0);
              assertEquals("running", stream.getString("state"), stream.encode());
              assertTrue(stream.getLong("restarts") >= 1, stream.encode());
              assertEquals(
                  0, stream.getInteger("consecutive_errors"), "recovered: " + stream.encode());
              assertEquals(
                  committed.get("retry_src"),
                  stream.getJsonObject("position").getJsonObject("token"),
                  stream.encode());
            });
  }

  @Test
  void aFailureBeforeAnyPositionWasCommittedReScansTheEntity() {
    define("lost");
    deploy();
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> entity.get().status() == EntityStatus.live);
    assertTrue(
        committed.isEmpty(),
        "nothing committed for the stream yet (the test server sends no idle checkpoint)");
    failuresLeft.set(1);
    await(mongo.insert("lost_src", new JsonObject().put("_id", "x").put("n", 0)));
    // the stream was open at a position nothing was committed for: reopening at "now" could skip
    // events, so the stream restarts and its entity is re-scanned (a new attempt, epoch 2)
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                failuresLeft.get() == 0
                    && entity.get().status() == EntityStatus.live
                    && entity.get().epoch() >= 2);
    assertTrue(
        status.stream().anyMatch(e -> "lost".equals(e.entity()) && "rescan".equals(e.state())),
        "a rescan status event");
    await(mongo.insert("lost_src", new JsonObject().put("_id", "after").put("n", 1)));
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> received.contains("after"));
  }
}
