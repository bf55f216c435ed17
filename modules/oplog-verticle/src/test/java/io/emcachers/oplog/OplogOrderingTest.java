package io.emcachers.oplog;

import static io.emcachers.oplog.OplogTestSupport.createLiveEntity;
import static io.emcachers.oplog.OplogTestSupport.query;
import static io.emcachers.oplog.OplogTestSupport.upsert;
import static io.emcachers.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.messages.OplogReadReply;
import io.emcachers.core.messages.OplogReadRequest;
import io.emcachers.core.model.Oplog;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The ordering proof: concurrent appenders and a reader polling {@code id > offset} the whole time;
 * the reader must see every committed row (none skipped), each exactly once, in increasing order.
 */
@Timeout(180)
class OplogOrderingTest extends PostgresTestBase {

  static final int SENDERS = 8;
  static final int BATCHES = 50;
  static final int ENTRIES = 10;

  Vertx vertx;

  @BeforeEach
  void setUp() {
    OplogTestSupport.resetTables(pg);
    vertx = TestVertx.create();
    OplogTestSupport.deploy(vertx, OplogTestSupport.rootConfig(pg));
    createLiveEntity(vertx, "a");
    createLiveEntity(vertx, "b");
  }

  @AfterEach
  void tearDown() {
    await(vertx.close());
  }

  @Test
  void aReaderPollingIdAboveOffsetNeverSkipsACommittedRow() {
    AtomicBoolean writersDone = new AtomicBoolean();
    List<Long> seen = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicInteger polls = new AtomicInteger();
    Map<String, AppendResult> acks = new ConcurrentHashMap<>();

    Promise<Void> readerDone = Promise.promise();
    poll(0, writersDone, seen, polls, readerDone);

    List<Future<Void>> senders = new ArrayList<>();
    for (int s = 0; s < SENDERS; s++) {
      senders.add(sendSequentially(s, 0, acks));
    }
    await(Future.all(senders).onComplete(ar -> writersDone.set(true)));
    await(readerDone.future());

    assertEquals(SENDERS * BATCHES, acks.size(), "every batch acked");
    List<Long> tableIds =
        query(pg, "SELECT id FROM oplog ORDER BY id").stream()
            .map(r -> ((Number) r.get("id")).longValue())
            .toList();
    assertEquals(SENDERS * BATCHES * ENTRIES, tableIds.size());
    assertEquals(tableIds.size(), seen.size(), "each row seen exactly once");
    assertEquals(tableIds, seen, "the reader saw every row of the table, in id order");
    assertTrue(polls.get() > 10, "the reader polled while writing: " + polls.get());

    // each batch's entries got consecutive ids in batch order; each ack's last id is the batch's
    // last row
    Set<Long> lastIds = new TreeSet<>();
    for (var e : acks.entrySet()) {
      AppendResult r = e.getValue();
      assertEquals(ENTRIES, r.appended());
      lastIds.add(r.lastId());
      List<Map<String, Object>> rows =
          query(
              pg,
              "SELECT id, doc_id FROM oplog WHERE doc_id LIKE '" + e.getKey() + "-%' ORDER BY id");
      List<String> docs = rows.stream().map(m -> (String) m.get("doc_id")).toList();
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < ENTRIES; i++) {
        expected.add(e.getKey() + "-" + i);
      }
      assertEquals(expected, docs, "batch " + e.getKey());
      assertEquals(r.lastId(), ((Number) rows.get(ENTRIES - 1).get("id")).longValue());
      assertEquals(
          r.lastId() - ENTRIES + 1,
          ((Number) rows.get(0).get("id")).longValue(),
          "consecutive ids within a batch");
    }
    assertEquals(SENDERS * BATCHES, lastIds.size(), "distinct acks");
  }

  private Future<Void> sendSequentially(int sender, int batch, Map<String, AppendResult> acks) {
    if (batch == BATCHES) {
      return Future.succeededFuture();
    }
    String key = "s" + sender + "b" + batch;
    List<OplogEntry> entries = new ArrayList<>();
    for (int i = 0; i < ENTRIES; i++) {
      entries.add(
          upsert(
              i % 2 == 0 ? "a" : "b",
              key + "-" + i,
              new JsonObject().put("sender", sender).put("batch", batch).put("i", i)));
    }
    AppendBatch b =
        AppendBatch.stream("stream" + sender, new JsonObject().put("pos", batch), entries);
    return Bus.request(vertx.eventBus(), Addresses.OPLOG_APPEND, b, AppendResult.class)
        .compose(
            r -> {
              acks.put(key, r);
              return sendSequentially(sender, batch + 1, acks);
            });
  }

  private void poll(
      long after,
      AtomicBoolean writersDone,
      List<Long> seen,
      AtomicInteger polls,
      Promise<Void> done) {
    boolean finalRound = writersDone.get();
    Bus.request(
            vertx.eventBus(),
            Addresses.OPLOG_READ,
            new OplogReadRequest(after, 37, null),
            OplogReadReply.class)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                done.fail(ar.cause());
                return;
              }
              polls.incrementAndGet();
              OplogReadReply r = ar.result();
              long last = after;
              for (Oplog row : r.rows()) {
                if (row.id() <= last) {
                  done.fail(
                      new AssertionError("ids not increasing: " + row.id() + " after " + last));
                  return;
                }
                last = row.id();
                seen.add(row.id());
              }
              if (r.nextAfter() != last) {
                done.fail(
                    new AssertionError("next_after " + r.nextAfter() + " != last id " + last));
                return;
              }
              if (finalRound && r.rows().isEmpty()) {
                done.complete(); // writers had finished before this read started, and it found
                // nothing more
              } else {
                poll(r.nextAfter(), writersDone, seen, polls, done);
              }
            });
  }
}
