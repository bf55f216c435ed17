package io.emcachers.oplog;

import static io.emcachers.oplog.OplogTestSupport.append;
import static io.emcachers.oplog.OplogTestSupport.count;
import static io.emcachers.oplog.OplogTestSupport.createEntity;
import static io.emcachers.oplog.OplogTestSupport.createLiveEntity;
import static io.emcachers.oplog.OplogTestSupport.exec;
import static io.emcachers.oplog.OplogTestSupport.query;
import static io.emcachers.oplog.OplogTestSupport.request;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.EntityNameRequest;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.messages.ScanBeginRequest;
import io.emcachers.core.messages.ScanEndReply;
import io.emcachers.core.messages.ScanEndRequest;
import io.emcachers.core.model.Operation;
import io.emcachers.testsupport.Await;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 9, item 10: a scan end moving 2,000,000 staged rows and the purge of a 2,000,000-row entity
 * finish under the default settings (write timeout, chunk size), and stream appends get in between
 * their chunks instead of waiting for the whole operation.
 */
@Timeout(900)
class LongWritesIT extends PostgresTestBase {

  static final int ROWS = 2_000_000;
  Vertx vertx;

  @BeforeEach
  void setUp() {
    OplogTestSupport.resetTables(pg);
    vertx = TestVertx.create();
    JsonObject root = OplogTestSupport.rootConfig(pg);
    root.getJsonObject("oplog").remove("max_batch_entries"); // defaults everywhere else
    OplogTestSupport.deploy(vertx, root);
  }

  @AfterEach
  void tearDown() {
    Await.await(vertx.close());
  }

  @Test
  void aScanEndMovesTwoMillionStagedRowsInChunksWhileAppendsContinue() {
    createLiveEntity(vertx, "other");
    createEntity(vertx, "big");
    long epoch =
        request(
                vertx,
                Addresses.OPLOG_SCAN_BEGIN,
                new ScanBeginRequest("big", "test"),
                EntityReply.class)
            .entity()
            .epoch();
    exec(
        pg,
        "INSERT INTO oplog_staging (entity, op, doc_id, data, epoch) SELECT 'big', 'Upsert', 'd' || lpad(g::text, 8, '0'),"
            + " '{\"title\":\"x\"}'::jsonb, "
            + epoch
            + " FROM generate_series(1, "
            + ROWS
            + ") g");
    exec(pg, "ANALYZE oplog_staging");

    long started = System.nanoTime();
    Future<ScanEndReply> end =
        Bus.request(
            vertx.eventBus(),
            Addresses.OPLOG_SCAN_END,
            new ScanEndRequest("big", epoch),
            ScanEndReply.class,
            new DeliveryOptions().setSendTimeout(Duration.ofMinutes(10).toMillis()));
    // appends sent while the move runs commit before it finishes: they interleave with its chunks
    await().atMost(Duration.ofMinutes(5)).until(() -> count(pg, "oplog WHERE entity = 'big'") > 0);
    AtomicLong appendsDuringMove = new AtomicLong();
    for (int i = 0; i < 5 && !end.isComplete(); i++) {
      AppendResult r =
          append(
              vertx,
              AppendBatch.stream(
                  "other_src",
                  null,
                  List.of(
                      new OplogEntry(
                          Operation.Upsert,
                          "other",
                          "o" + i,
                          new JsonObject().put("title", "t")))));
      if (r.appended() == 1 && !end.isComplete()) {
        appendsDuringMove.incrementAndGet();
      }
    }
    ScanEndReply reply = Await.await(end, Duration.ofMinutes(10));
    System.out.printf(
        "scan end moved %d staged rows in %.1f s%n",
        reply.moved(), (System.nanoTime() - started) / 1e9);
    assertEquals(ROWS, reply.moved());
    assertTrue(appendsDuringMove.get() > 0, "stream appends committed between the move's chunks");
    assertEquals(0, count(pg, "oplog_staging"));
    assertEquals(
        0,
        count(
            pg,
            "(SELECT doc_id, lag(doc_id) OVER (ORDER BY id) AS prev FROM oplog WHERE entity = 'big') t WHERE prev >= doc_id"),
        "moved rows keep their staging order");
    assertEquals(
        "live", query(pg, "SELECT status FROM entities WHERE name = 'big'").get(0).get("status"));
  }

  @Test
  void aReScanProvesTwoMillionDocumentsGoneInChunksWhileAppendsContinue() {
    createLiveEntity(vertx, "other");
    createLiveEntity(vertx, "gone");
    // the history: 2,000,000 documents, then a re-scan that sees only the first 1,000 of them again
    exec(
        pg,
        "INSERT INTO oplog (op, entity, doc_id, data) SELECT 'Upsert', 'gone', 'g' || lpad(g::text, 8, '0'), '{\"title\":\"x\"}'::jsonb"
            + " FROM generate_series(1, "
            + ROWS
            + ") g");
    long epoch =
        request(
                vertx,
                Addresses.OPLOG_SCAN_BEGIN,
                new ScanBeginRequest("gone", "test"),
                EntityReply.class)
            .entity()
            .epoch();
    exec(
        pg,
        "INSERT INTO oplog (op, entity, doc_id, data) SELECT 'Upsert', 'gone', 'g' || lpad(g::text, 8, '0'), '{\"title\":\"y\"}'::jsonb"
            + " FROM generate_series(1, 1000) g");
    long started = System.nanoTime();
    Future<ScanEndReply> end =
        Bus.request(
            vertx.eventBus(),
            Addresses.OPLOG_SCAN_END,
            new ScanEndRequest("gone", epoch),
            ScanEndReply.class,
            new DeliveryOptions().setSendTimeout(Duration.ofMinutes(10).toMillis()));
    await()
        .atMost(Duration.ofMinutes(5))
        .until(() -> count(pg, "oplog WHERE entity = 'gone' AND op = 'Delete'") > 0);
    AtomicLong appendsDuringDeletes = new AtomicLong();
    for (int i = 0; i < 5 && !end.isComplete(); i++) {
      AppendResult r =
          append(
              vertx,
              AppendBatch.stream(
                  "other_src",
                  null,
                  List.of(
                      new OplogEntry(
                          Operation.Upsert,
                          "other",
                          "o" + i,
                          new JsonObject().put("title", "t")))));
      if (r.appended() == 1 && !end.isComplete()) {
        appendsDuringDeletes.incrementAndGet();
      }
    }
    ScanEndReply reply = Await.await(end, Duration.ofMinutes(10));
    System.out.printf(
        "scan end proved %d documents gone in %.1f s%n",
        reply.moved(), (System.nanoTime() - started) / 1e9);
    assertEquals(ROWS - 1000, reply.moved());
    assertEquals(ROWS - 1000, count(pg, "oplog WHERE entity = 'gone' AND op = 'Delete'"));
    assertEquals(
        0,
        count(pg, "oplog WHERE entity = 'gone' AND op = 'Delete' AND doc_id <= 'g00001000'"),
        "re-scanned documents stay");
    assertTrue(
        appendsDuringDeletes.get() > 0, "stream appends committed between the deletes' chunks");
  }

  @Test
  void purgingATwoMillionRowEntityFinishesAndARecreateSeesNoneOfIt() {
    createLiveEntity(vertx, "huge");
    exec(
        pg,
        "INSERT INTO oplog (op, entity, doc_id, data) SELECT 'Upsert', 'huge', 'h' || g, '{\"title\":\"x\"}'::jsonb FROM generate_series(1, "
            + ROWS
            + ") g");
    long started = System.nanoTime();
    request(vertx, Addresses.ENTITIES_DELETE, new EntityNameRequest("huge"), EntityReply.class);
    // a re-create waits for the purge of the old incarnation, however long it is
    EntityReply again =
        Await.await(
            Bus.request(
                vertx.eventBus(),
                Addresses.ENTITIES_CREATE,
                new io.emcachers.core.messages.EntityUpsertRequest(
                    OplogTestSupport.definition("huge", "huge_src", "title")),
                EntityReply.class,
                new DeliveryOptions().setSendTimeout(Duration.ofMinutes(10).toMillis())),
            Duration.ofMinutes(10));
    System.out.printf(
        "purge of %d rows + re-create took %.1f s%n", ROWS, (System.nanoTime() - started) / 1e9);
    assertEquals("pending", again.entity().status().name());
    assertEquals(0, count(pg, "oplog WHERE entity = 'huge'"));
    assertEquals(0, count(pg, "metadata WHERE key = 'purge:huge'"));
  }
}
