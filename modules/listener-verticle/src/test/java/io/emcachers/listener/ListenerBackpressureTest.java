package io.emcachers.listener;

import static io.emcachers.listener.ListenerTestSupport.deployListener;
import static io.emcachers.listener.ListenerTestSupport.health;
import static io.emcachers.listener.ListenerTestSupport.listenerConfig;
import static io.emcachers.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.EntityListReply;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.EntityStatusRequest;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.messages.ResumeTokenReply;
import io.emcachers.core.messages.ScanEndReply;
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
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Slow acks bound memory: an oplog side that acks every append batch only after a delay, while the
 * source is written much faster. Entries in flight never exceed K × N, the stream is paused
 * meanwhile (MongoDB keeps the backlog), and every write still arrives, in order. The oplog side is
 * a test consumer here (no PostgreSQL needed to show the window).
 */
class ListenerBackpressureTest {

  static final int N = 50;
  static final int K = 2;
  static final int DOCS = 3000;
  static final long ACK_DELAY_MS = 50;

  static DevMongo mongoServer;
  static Vertx vertx;
  static MongoClient mongo;

  static final AtomicLong inFlight = new AtomicLong();
  static final AtomicLong maxInFlight = new AtomicLong();
  static final List<String> received = java.util.Collections.synchronizedList(new ArrayList<>());
  static final AtomicReference<Entity> entity = new AtomicReference<>();

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
    Shape shape = new Shape("bp", "bp_src", List.of(new Column("n", DataType.Integer, "n")));
    entity.set(new Entity("bp", shape, EntityStatus.live, 3, Instant.now(), Instant.now()));
    // the oplog side, reduced to what the listener asks for
    vertx
        .eventBus()
        .consumer(
            Addresses.ENTITIES_LIST, m -> m.reply(new EntityListReply(List.of(entity.get()))));
    vertx
        .eventBus()
        .consumer(
            Addresses.OPLOG_RESUME_TOKEN, m -> m.reply(new ResumeTokenReply(new JsonObject())));
    vertx
        .eventBus()
        .<EntityStatusRequest>consumer(
            Addresses.ENTITIES_SET_STATUS,
            m -> {
              Entity e = entity.get();
              Entity next =
                  new Entity(
                      e.name(),
                      e.shape(),
                      m.body().status(),
                      e.version() + 1,
                      e.createdAt(),
                      Instant.now());
              entity.set(next);
              m.reply(new EntityReply(next));
            });
    vertx
        .eventBus()
        .consumer(
            Addresses.OPLOG_SCAN_BEGIN,
            m -> {
              Entity e = entity.get();
              Entity next =
                  new Entity(
                      e.name(),
                      e.shape(),
                      EntityStatus.scanning,
                      e.version() + 1,
                      e.createdAt(),
                      Instant.now(),
                      e.epoch() + 1);
              entity.set(next);
              m.reply(new EntityReply(next));
            });
    vertx
        .eventBus()
        .consumer(
            Addresses.OPLOG_SCAN_END,
            m -> {
              Entity e = entity.get();
              Entity next =
                  new Entity(
                      e.name(),
                      e.shape(),
                      EntityStatus.live,
                      e.version() + 1,
                      e.createdAt(),
                      Instant.now(),
                      e.epoch());
              entity.set(next);
              m.reply(new ScanEndReply(next, 0, 0));
            });
    vertx
        .eventBus()
        .<AppendBatch>consumer(
            Addresses.OPLOG_APPEND,
            m -> {
              AppendBatch b = m.body();
              int n = b.entries().size();
              maxInFlight.accumulateAndGet(inFlight.addAndGet(n), Math::max);
              vertx.setTimer(
                  ACK_DELAY_MS,
                  t -> {
                    inFlight.addAndGet(-n);
                    if (AppendBatch.KIND_STREAM.equals(b.kind())) {
                      b.entries().forEach((OplogEntry e) -> received.add(e.docId()));
                    }
                    m.reply(new AppendResult(0, 0, n, 0, b.stream(), b.resumeToken()));
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

  @Test
  void slowAcksKeepEntriesInFlightWithinTheWindow() {
    JsonObject root = listenerConfig(mongoServer.url("app"));
    root.getJsonObject("listener")
        .put("require_local_leader", false)
        .put("batch_max_entries", N)
        .put("max_unacked_batches", K);
    deployListener(vertx, root);
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> entity.get().status() == EntityStatus.live && entity.get().version() >= 5);

    for (int chunk = 0; chunk < DOCS / 500; chunk++) {
      List<BulkOperation> ops = new ArrayList<>();
      for (int i = chunk * 500; i < (chunk + 1) * 500; i++) {
        ops.add(
            BulkOperation.createInsert(
                new JsonObject().put("_id", String.format("d%05d", i)).put("n", i)));
      }
      await(mongo.bulkWrite("bp_src", ops));
    }
    int receivedWhenWritten = received.size();

    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> received.size() >= DOCS);
    assertTrue(
        maxInFlight.get() <= (long) K * N,
        "entries in flight " + maxInFlight.get() + " exceed K*N = " + K * N);
    assertTrue(
        receivedWhenWritten < DOCS,
        "the source was written faster than the oplog side acked (" + receivedWhenWritten + ")");
    assertEquals(DOCS, received.size(), "every write arrives exactly once");
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < DOCS; i++) {
      expected.add(String.format("d%05d", i));
    }
    assertTrue(expected.equals(List.copyOf(received)), "every write arrives once, in source order");
    JsonObject window = health(vertx).details().getJsonObject("window");
    assertTrue(window.getLong("max_entries_in_flight") <= (long) K * N, window.encode());
    assertEquals(K, window.getInteger("max_batches"));
  }
}
