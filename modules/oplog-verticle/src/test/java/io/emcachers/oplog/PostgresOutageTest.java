package io.emcachers.oplog;

import static io.emcachers.oplog.OplogTestSupport.createLiveEntity;
import static io.emcachers.oplog.OplogTestSupport.query;
import static io.emcachers.oplog.OplogTestSupport.request;
import static io.emcachers.oplog.OplogTestSupport.upsert;
import static io.emcachers.testsupport.Await.await;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.messages.ResumeTokenReply;
import io.emcachers.core.messages.ResumeTokenRequest;
import io.emcachers.core.messages.StatusEvent;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** PostgreSQL stops and restarts (same data dir and port) while appends keep coming. */
@Timeout(180)
class PostgresOutageTest extends PostgresTestBase {

  static final int ENTRIES = 5;

  Vertx vertx;

  @BeforeEach
  void setUp() {
    pg.start();
    OplogTestSupport.resetTables(pg);
    vertx = TestVertx.create();
  }

  @AfterEach
  void tearDown() {
    await(vertx.close());
  }

  @Test
  void appendsFailRetriablyDuringAnOutageAndNothingAcknowledgedIsLost() {
    List<StatusEvent> events = new CopyOnWriteArrayList<>();
    vertx.eventBus().<StatusEvent>consumer(Addresses.STATUS, m -> events.add(m.body()));
    JsonObject root = OplogTestSupport.rootConfig(pg);
    root.getJsonObject("oplog")
        .put("reconnect_initial_backoff_ms", 100)
        .put("reconnect_max_backoff_ms", 800);
    OplogTestSupport.deploy(vertx, root);
    createLiveEntity(vertx, "users");

    Map<Integer, AppendResult> acked = new ConcurrentHashMap<>();
    List<Integer> failureCodes = new CopyOnWriteArrayList<>();
    AtomicInteger sent = new AtomicInteger();
    AtomicBoolean stop = new AtomicBoolean();
    Promise<Void> appenderDone = Promise.promise();
    appendLoop(sent, acked, failureCodes, stop, appenderDone);

    await().atMost(Duration.ofSeconds(20)).until(() -> acked.size() >= 20);
    pg.stop();
    int ackedAtStop = acked.size();
    await().atMost(Duration.ofSeconds(20)).until(() -> failureCodes.size() >= 5);
    assertTrue(acked.size() <= ackedAtStop + 1, "at most the in-flight batch acked after the stop");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> events.stream().anyMatch(e -> "disconnected".equals(e.state())));
    HealthReply down =
        request(vertx, Addresses.OPLOG_LEADER_LOCAL, new HealthRequest(), HealthReply.class);
    assertEquals("disconnected", down.state());
    assertTrue(!down.ok());

    pg.start();
    int ackedAtRestart = acked.size();
    await().atMost(Duration.ofSeconds(30)).until(() -> acked.size() >= ackedAtRestart + 20);
    stop.set(true);
    await(appenderDone.future());

    assertTrue(
        failureCodes.stream().allMatch(c -> c == ErrorCodes.UNAVAILABLE),
        "every failure is UNAVAILABLE: " + failureCodes);
    assertTrue(failureCodes.stream().allMatch(ErrorCodes::retriable));
    HealthReply up = request(vertx, Addresses.OPLOG_HEALTH, new HealthRequest(), HealthReply.class);
    assertEquals("leader", up.state());
    assertTrue(
        up.details().getString("last_error") != null, "the outage is remembered as the last error");

    // every acknowledged entry is present exactly once; nothing appears twice
    Map<String, Integer> counts = new HashMap<>();
    query(pg, "SELECT doc_id FROM oplog")
        .forEach(r -> counts.merge((String) r.get("doc_id"), 1, Integer::sum));
    for (int batch : acked.keySet()) {
      for (int i = 0; i < ENTRIES; i++) {
        assertEquals(1, counts.getOrDefault(batch + "-" + i, 0), "acked entry " + batch + "-" + i);
      }
    }
    assertTrue(counts.values().stream().allMatch(n -> n == 1), "no entry twice");
    // the stored token is the one of the last acked batch (each batch carries its own)
    int lastAcked = acked.keySet().stream().mapToInt(Integer::intValue).max().orElseThrow();
    JsonObject token =
        request(
                vertx,
                Addresses.OPLOG_RESUME_TOKEN,
                new ResumeTokenRequest(),
                ResumeTokenReply.class)
            .tokenFor("users");
    assertTrue(
        token.getInteger("batch") >= lastAcked,
        "token " + token + " covers the last acked batch " + lastAcked);
    // acked ids increase with the send order
    List<Integer> order = new ArrayList<>(acked.keySet());
    order.sort(Integer::compare);
    long previous = 0;
    for (int b : order) {
      assertTrue(acked.get(b).lastId() > previous, "ids grow with acks");
      previous = acked.get(b).lastId();
    }
  }

  /**
   * Sends batch after batch (each with unique doc ids and its own token); never re-sends a failed
   * one.
   */
  private void appendLoop(
      AtomicInteger sent,
      Map<Integer, AppendResult> acked,
      List<Integer> failures,
      AtomicBoolean stop,
      Promise<Void> done) {
    if (stop.get()) {
      done.complete();
      return;
    }
    int batch = sent.getAndIncrement();
    List<OplogEntry> entries = new ArrayList<>();
    for (int i = 0; i < ENTRIES; i++) {
      entries.add(upsert("users", batch + "-" + i, new JsonObject().put("batch", batch)));
    }
    AppendBatch b = AppendBatch.stream("users", new JsonObject().put("batch", batch), entries);
    Future<AppendResult> f =
        Bus.request(
            vertx.eventBus(),
            Addresses.OPLOG_APPEND,
            b,
            AppendResult.class,
            new DeliveryOptions().setSendTimeout(10_000));
    f.onComplete(
        ar -> {
          if (ar.succeeded()) {
            acked.put(batch, ar.result());
            vertx.setTimer(5, t -> appendLoop(sent, acked, failures, stop, done));
          } else {
            failures.add(Bus.codeOf(ar.cause()));
            vertx.setTimer(50, t -> appendLoop(sent, acked, failures, stop, done));
          }
        });
  }
}
