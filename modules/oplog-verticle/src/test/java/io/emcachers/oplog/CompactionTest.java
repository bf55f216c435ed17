package io.emcachers.oplog;

import static io.emcachers.oplog.OplogTestSupport.append;
import static io.emcachers.oplog.OplogTestSupport.assertFailure;
import static io.emcachers.oplog.OplogTestSupport.count;
import static io.emcachers.oplog.OplogTestSupport.createLiveEntity;
import static io.emcachers.oplog.OplogTestSupport.delete;
import static io.emcachers.oplog.OplogTestSupport.exec;
import static io.emcachers.oplog.OplogTestSupport.query;
import static io.emcachers.oplog.OplogTestSupport.requestFailure;
import static io.emcachers.oplog.OplogTestSupport.upsert;
import static io.emcachers.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.client.OplogClient;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.CompactionReply;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.messages.OplogReadReply;
import io.emcachers.core.messages.OplogReadRequest;
import io.emcachers.core.messages.OplogStatsReply;
import io.emcachers.core.messages.ReplicaInfo;
import io.emcachers.core.messages.ReplicaReportReply;
import io.emcachers.core.model.Operation;
import io.emcachers.core.model.Oplog;
import io.emcachers.testsupport.TestVertx;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Compaction and retention on a real PostgreSQL: superseded rows and tombstones below their
 * horizons go, the compacted state read from 0 equals the final state, slow replicas hold deletes,
 * expired ones do not (and must rebuild), reads below the compacted range fail COMPACTED, appends
 * go on while compaction runs.
 */
@Timeout(300)
class CompactionTest extends PostgresTestBase {

  /** Meters.registry() is the global registry when Vert.x metrics are off. */
  static final SimpleMeterRegistry METERS = new SimpleMeterRegistry();

  Vertx vertx;
  OplogClient client;

  @BeforeAll
  static void meters() {
    Metrics.addRegistry(METERS);
  }

  @AfterAll
  static void removeMeters() {
    Metrics.removeRegistry(METERS);
  }

  /** Deploys with retain_history_ms = 0 (every committed row is below H) and no scheduled run. */
  void deploy(Consumer<JsonObject> oplogSection) {
    OplogTestSupport.resetTables(pg);
    vertx = TestVertx.create();
    JsonObject root = OplogTestSupport.rootConfig(pg);
    JsonObject op = root.getJsonObject("oplog");
    op.put("retain_history_ms", 0).put("compaction_interval_ms", 0);
    oplogSection.accept(op);
    OplogTestSupport.deploy(vertx, root);
    client = new OplogClient(vertx.eventBus());
    createLiveEntity(vertx, "users");
  }

  @AfterEach
  void tearDown() {
    if (vertx != null) {
      await(vertx.close());
    }
  }

  private static JsonObject doc(String v) {
    return new JsonObject().put("title", v);
  }

  private void stream(List<OplogEntry> entries) {
    append(vertx, AppendBatch.stream("users", null, entries));
  }

  private CompactionReply compact() {
    return await(client.compact("test", 120_000), Duration.ofSeconds(120));
  }

  /** Pages through the compacted state from 0 and applies it in order, like a fresh node. */
  private Map<String, JsonObject> bootstrap(int pageSize) {
    Map<String, JsonObject> state = new HashMap<>();
    long after = 0;
    long previous = -1;
    while (true) {
      OplogReadReply page = await(client.readCompacted(after, pageSize, null));
      for (Oplog row : page.rows()) {
        assertTrue(row.id() > previous, "id order");
        previous = row.id();
        if (row.operation() == Operation.Delete) {
          state.remove(row.docId());
        } else {
          state.put(row.docId(), row.data());
        }
      }
      if (page.rows().isEmpty()) {
        return state;
      }
      after = page.nextAfter();
    }
  }

  @Test
  void fiftyUpdatesOfAThousandDocsCompactToTheLatestRowEach() {
    deploy(op -> op.put("chunk_rows", 4000));
    Map<String, JsonObject> last = new HashMap<>();
    for (int round = 0; round < 50; round++) {
      List<OplogEntry> batch = new ArrayList<>();
      for (int d = 0; d < 1000; d++) {
        JsonObject data = doc("d" + d + " v" + round);
        batch.add(upsert("users", "d" + d, data));
        last.put("d" + d, data);
      }
      stream(batch);
    }
    assertEquals(50_000, count(pg, "oplog"));
    long bytesBefore = totalBytes();

    CompactionReply run = compact();

    assertEquals(50_001, run.compactionHorizon(), "H = head + 1 with retain_history_ms = 0");
    assertEquals(50_001, run.tombstoneHorizon(), "no replica: T = H");
    assertEquals(49_000, run.supersededRemoved());
    assertEquals(0, run.tombstonesRemoved());
    assertEquals(1000, count(pg, "oplog"), "one row per document below H");
    assertEquals(1000, count(pg, "oplog WHERE id >= 49001"), "the survivors are the last round");
    System.out.printf(
        "compaction of 50,000 rows (1,000 docs x 50): removed %d in %d ms (%.0f rows/s incl."
            + " VACUUM); total bytes %d -> %d (space reusable, not returned)%n",
        run.removed(),
        run.durationMs(),
        run.removed() * 1000.0 / Math.max(1, run.durationMs()),
        bytesBefore,
        totalBytes());

    assertEquals(last, bootstrap(300), "the compacted state from 0 is the final state");

    // reads below the compacted range fail with the documented text; from 0 and at H - 1 they work
    ReplyException gone =
        requestFailure(vertx, Addresses.OPLOG_READ, new OplogReadRequest(5, 100, null));
    assertFailure(gone, ErrorCodes.COMPACTED, "compacted_below=50001");
    assertTrue(gone.getMessage().contains("after = 0"), gone.getMessage());
    assertEquals(410, ErrorCodes.httpStatus(ErrorCodes.COMPACTED));
    assertEquals(100, await(client.read(0, 100, null)).rows().size());
    assertEquals(List.of(), await(client.read(50_000, 100, null)).rows());
    stream(List.of(upsert("users", "d1", doc("after"))));
    assertEquals(1, await(client.read(50_000, 100, List.of("users"))).rows().size());

    // stats and gauges
    OplogStatsReply stats = await(client.stats());
    assertEquals(Map.of("users", 1001L), stats.rowsByEntity());
    assertEquals(1001, stats.rows());
    assertTrue(stats.tableBytes() > 0 && stats.indexBytes() > 0, stats.toJson().encode());
    assertTrue(stats.totalBytes() >= stats.tableBytes() + stats.indexBytes());
    assertEquals(50_001, stats.compactionHorizon());
    assertEquals(50_001, stats.tombstoneHorizon());
    assertEquals(50_001, stats.compactedBelow());
    assertEquals(50_001, stats.headId());
    assertNotNull(stats.lastRun());
    assertEquals(49_000, stats.lastRun().removed());
    assertEquals(List.of(), stats.replicas());
    assertTrue(METERS.get("emc_oplog_compacted_rows_total").counter().count() >= 49_000);
    assertEquals(1001.0, METERS.get("emc_oplog_rows").tag("entity", "users").gauge().value());
    assertEquals(50_001.0, METERS.get("emc_oplog_compaction_horizon").gauge().value());
    assertTrue(METERS.get("emc_oplog_table_bytes").gauge().value() > 0);
    assertTrue(METERS.find("emc_oplog_compaction_last_duration_seconds").gauge() != null);

    // disk: VACUUM makes the removed rows' space reusable; refill + compact cycles plateau
    List<Long> refilled = new ArrayList<>();
    for (int cycle = 0; cycle < 4; cycle++) {
      for (int round = 0; round < 49; round++) {
        List<OplogEntry> batch = new ArrayList<>();
        for (int d = 0; d < 1000; d++) {
          batch.add(upsert("users", "d" + d, doc("d" + d + " c" + cycle + " v" + round)));
        }
        stream(batch);
      }
      refilled.add(totalBytes());
      CompactionReply refill = compact();
      assertEquals(1000, count(pg, "oplog"));
      assertTrue(refill.supersededRemoved() >= 49_000);
    }
    System.out.printf(
        "total bytes: %d before the first compaction; after each refill of 49,000 rows on the"
            + " vacuumed table: %s%n",
        bytesBefore, refilled);
    assertTrue(
        refilled.get(3) <= refilled.get(2) * 11 / 10,
        "the table stops growing once freed space is reused: " + refilled);
  }

  @Test
  void deletesBelowTheTombstoneHorizonGoUnlessALiveReplicaHasNotAppliedThem() {
    deploy(op -> {});
    List<OplogEntry> upserts = new ArrayList<>();
    for (int d = 1; d <= 10; d++) {
      upserts.add(upsert("users", "d" + d, doc("v" + d)));
    }
    stream(upserts); // ids 1..10
    List<OplogEntry> deletes = new ArrayList<>();
    for (int d = 1; d <= 5; d++) {
      deletes.add(delete("users", "d" + d));
    }
    stream(deletes); // ids 11..15
    ReplicaReportReply reg = await(client.reportReplica("slow", 10, false));
    assertEquals(10, reg.appliedOffset());
    assertFalse(reg.rebuildRequired());

    CompactionReply first = compact();
    assertEquals(16, first.compactionHorizon());
    assertEquals(11, first.tombstoneHorizon(), "the slow replica holds T at its offset + 1");
    assertEquals(5, first.supersededRemoved(), "the upserts the deletes supersede");
    assertEquals(0, first.tombstonesRemoved());
    assertEquals(10, count(pg, "oplog"));
    assertEquals(5, count(pg, "oplog WHERE op = 'Delete'"));

    // the offset never moves backwards without a rebuild
    assertEquals(10, await(client.reportReplica("slow", 3, false)).appliedOffset());
    ReplicaReportReply caughtUp = await(client.reportReplica("slow", 15, false));
    assertEquals(15, caughtUp.appliedOffset());
    assertEquals(16, caughtUp.compactedBelow());
    assertEquals(11, caughtUp.tombstoneHorizon());

    CompactionReply second = compact();
    assertEquals(16, second.tombstoneHorizon());
    assertEquals(4, second.tombstonesRemoved(), "all but the head row, which always stays");
    assertEquals(6, count(pg, "oplog"));
    assertEquals(1, count(pg, "oplog WHERE op = 'Delete' AND id = 15"));
    assertEquals(15, await(client.read(15, 10, null)).headId(), "the head never moves back");
    Map<String, JsonObject> expected = new HashMap<>();
    for (int d = 6; d <= 10; d++) {
      expected.put("d" + d, doc("v" + d));
    }
    assertEquals(expected, bootstrap(2));

    // a repair whose head_before predates removed deletes cannot prove "no newer row": refused
    assertFailure(
        requestFailure(
            vertx,
            Addresses.OPLOG_REPAIR,
            new io.emcachers.core.messages.RepairRequest(
                "users", 10, 0, List.of(upsert("users", "d1", doc("stale"))), "test")),
        ErrorCodes.STALE,
        "tombstone horizon 16");
    assertEquals(
        List.of("d1"),
        await(client.repair("users", 15, 0, List.of(upsert("users", "d1", doc("ok"))), "test"))
            .applied());

    List<ReplicaInfo> replicas = await(client.replicas()).replicas();
    assertEquals(1, replicas.size());
    assertEquals("slow", replicas.get(0).nodeId());
    assertEquals(15, replicas.get(0).appliedOffset());
    assertTrue(replicas.get(0).live());
    assertEquals(1, replicas.get(0).lag(), "head 16 (the repair row) - 15");
    assertTrue(await(client.removeReplica("slow")).removed());
    assertFalse(await(client.removeReplica("slow")).removed());
    assertEquals(List.of(), await(client.replicas()).replicas());
  }

  @Test
  void aReplicaNotSeenWithinTheExpiryDoesNotHoldDeletesAndMustRebuild() {
    deploy(op -> op.put("replica_expiry_ms", 60_000));
    stream(List.of(upsert("users", "a", doc("1")), upsert("users", "b", doc("1")))); // 1, 2
    await(client.reportReplica("gone", 2, false));
    await(client.reportReplica("live", 2, false));
    stream(List.of(delete("users", "a"))); // 3
    await(client.reportReplica("live", 3, false));
    stream(List.of(upsert("users", "c", doc("1")))); // 4: the delete is not the head row
    // "gone" was last seen an hour ago (instead of waiting for the expiry)
    exec(pg, "UPDATE replicas SET last_seen = now() - interval '1 hour' WHERE node_id = 'gone'");

    CompactionReply run = compact();
    assertEquals(4, run.tombstoneHorizon(), "only the live replica counts: its offset 3 + 1");
    assertEquals(1, run.tombstonesRemoved());
    assertEquals(
        List.of("b", "c"),
        query(pg, "SELECT doc_id FROM oplog ORDER BY id").stream()
            .map(r -> r.get("doc_id"))
            .toList());

    List<ReplicaInfo> replicas = await(client.replicas()).replicas();
    assertEquals("gone", replicas.get(0).nodeId());
    assertFalse(replicas.get(0).live());
    assertTrue(replicas.get(0).rebuildRequired());
    assertFalse(replicas.get(1).rebuildRequired());

    // the gone node comes back: told to rebuild until it reports that it did
    ReplicaReportReply back = await(client.reportReplica("gone", 2, false));
    assertTrue(back.rebuildRequired());
    assertEquals(4, back.tombstoneHorizon());
    ReplicaReportReply rebuilt = await(client.reportReplica("gone", 0, true));
    assertFalse(rebuilt.rebuildRequired());
    assertEquals(0, rebuilt.appliedOffset(), "a rebuilt node's offset may move back");
    // a node unknown to the registry with an offset below T must rebuild; from 0 it need not
    assertTrue(await(client.reportReplica("stranger", 2, false)).rebuildRequired());
    assertFalse(await(client.reportReplica("fresh", 0, false)).rebuildRequired());
    // bad reports
    assertFailure(
        requestFailure(
            vertx,
            Addresses.OPLOG_REPLICA_REPORT,
            new io.emcachers.core.messages.ReplicaReport(" ", 1)),
        ErrorCodes.BAD_REQUEST,
        "node_id is required");
  }

  @Test
  void appendsGoOnWhileCompactionRunsAndTheStateConverges() throws Exception {
    deploy(op -> op.put("chunk_rows", 200));
    int docs = 200;
    Map<String, JsonObject> last = new java.util.concurrent.ConcurrentHashMap<>();
    for (int round = 0; round < 40; round++) {
      List<OplogEntry> batch = new ArrayList<>();
      for (int d = 0; d < docs; d++) {
        JsonObject data = doc("pre " + round);
        batch.add(upsert("users", "d" + d, data));
        last.put("d" + d, data);
      }
      stream(batch);
    }
    AtomicBoolean stop = new AtomicBoolean();
    List<Long> latenciesMs = new java.util.concurrent.CopyOnWriteArrayList<>();
    CompletableFuture<Integer> appender =
        CompletableFuture.supplyAsync(
            () -> {
              int round = 0;
              while (!stop.get() || round < 5) {
                List<OplogEntry> batch = new ArrayList<>();
                for (int d = round % 2; d < docs; d += 2) {
                  JsonObject data = doc("live " + round);
                  batch.add(upsert("users", "d" + d, data));
                  last.put("d" + d, data);
                }
                long t0 = System.nanoTime();
                stream(batch);
                latenciesMs.add((System.nanoTime() - t0) / 1_000_000);
                round++;
              }
              return round;
            });
    List<CompactionReply> runs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      runs.add(compact());
    }
    stop.set(true);
    int rounds = appender.get();
    CompactionReply finalRun = compact();

    long removed = runs.stream().mapToLong(CompactionReply::removed).sum() + finalRun.removed();
    assertTrue(removed >= 39 * docs, "removed " + removed);
    assertEquals(last, bootstrap(500), "the compacted state equals the last appended values");
    assertEquals(docs, count(pg, "oplog"), "after the final run one row per document");
    long max = latenciesMs.stream().mapToLong(Long::longValue).max().orElse(0);
    System.out.printf(
        "appends during compaction: %d batches, max %d ms; runs %s%n",
        rounds,
        max,
        runs.stream().map(r -> r.removed() + " in " + r.durationMs() + " ms").toList());
    // a sanity bound only (speed belongs to the benchmark): no append waited behind a whole run
    assertTrue(max < 10_000, "an append waited " + max + " ms");
  }

  /**
   * A delete chunk runs in a session of its own, never on the writer: while one is held up (a row
   * it must delete is locked by another session), stream appends still commit, and the run ends
   * once the lock goes. On the writer, every append would queue behind the held chunk.
   */
  @Test
  void appendsDoNotWaitOnAHeldDeleteChunk() throws Exception {
    deploy(op -> op.put("chunk_rows", 100));
    Map<String, JsonObject> last = new HashMap<>();
    for (int round = 0; round < 10; round++) {
      List<OplogEntry> batch = new ArrayList<>();
      for (int d = 0; d < 100; d++) {
        JsonObject data = doc("v" + round);
        batch.add(upsert("users", "d" + d, data));
        last.put("d" + d, data);
      }
      stream(batch);
    }
    long firstId =
        ((Number) query(pg, "SELECT min(id) AS id FROM oplog").get(0).get("id")).longValue();
    try (java.sql.Connection holder = OplogTestSupport.jdbc(pg)) {
      holder.setAutoCommit(false);
      try (var st = holder.createStatement()) {
        // the oldest row is superseded: the run's first chunk must delete it
        st.executeQuery("SELECT id FROM oplog WHERE id = " + firstId + " FOR UPDATE").close();
      }
      Future<CompactionReply> run = client.compact("test", 120_000);
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  count(
                          pg,
                          "pg_stat_activity WHERE wait_event_type = 'Lock'"
                              + " AND query LIKE 'DELETE FROM oplog%'")
                      == 1);
      for (int round = 10; round < 30; round++) {
        List<OplogEntry> batch = new ArrayList<>();
        for (int d = 0; d < 100; d += 3) {
          JsonObject data = doc("v" + round);
          batch.add(upsert("users", "d" + d, data));
          last.put("d" + d, data);
        }
        AppendResult r =
            await(
                Bus.request(
                    vertx.eventBus(),
                    Addresses.OPLOG_APPEND,
                    AppendBatch.stream("users", null, batch),
                    AppendResult.class),
                Duration.ofSeconds(10));
        assertEquals(batch.size(), r.appended());
      }
      assertFalse(run.isComplete(), "the run still waits on its held chunk");
      assertEquals(
          1,
          count(
              pg,
              "pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'DELETE FROM oplog%'"),
          "the chunk is still held while the appends committed");
      holder.rollback();
      CompactionReply done = await(run, Duration.ofSeconds(60));
      assertEquals(900, done.supersededRemoved(), "every superseded row of the load");
    }
    CompactionReply second = compact();
    assertEquals(last, bootstrap(500), "the compacted state equals the last appended values");
    assertEquals(100, count(pg, "oplog"), "one row per document after the second run: " + second);
  }

  /**
   * A run's VACUUM (and autovacuum) never truncates the table's empty tail: truncating takes an
   * ACCESS EXCLUSIVE lock on the oplog, which stopped every stream append for ~240 ms at the end of
   * a benchmark run. The emptied pages stay in the file for the appends to reuse.
   */
  @Test
  void vacuumKeepsTheEmptiedTailOfTheTable() {
    deploy(op -> {});
    for (int round = 0; round < 20; round++) {
      List<OplogEntry> batch = new ArrayList<>();
      for (int d = 0; d < 500; d++) {
        batch.add(upsert("users", "r" + round + "-" + d, doc("x".repeat(200))));
      }
      stream(batch);
    }
    // the rows of the last 15 rounds gone, as if compaction had removed them: an empty tail
    exec(pg, "DELETE FROM oplog WHERE id > 2500");
    long before = relationSize();
    compact();
    exec(pg, "VACUUM oplog");
    assertEquals(before, relationSize(), "no VACUUM truncated the oplog");
    assertEquals(2500, count(pg, "oplog"));
  }

  private static long relationSize() {
    return ((Number) query(pg, "SELECT pg_relation_size('oplog') AS n").get(0).get("n"))
        .longValue();
  }

  @Test
  void onDemandRunsJoinAndTheScheduledJobCompactsOnTheLeader() {
    deploy(op -> {});
    stream(List.of(upsert("users", "a", doc("1")), upsert("users", "a", doc("2"))));
    Future<CompactionReply> one = client.compact("first", 60_000);
    Future<CompactionReply> two = client.compact("second", 60_000);
    CompactionReply a = await(one);
    CompactionReply b = await(two);
    assertEquals(
        1,
        a.equals(b) ? a.removed() : a.removed() + b.removed(),
        "the joined run (the same reply) or the following one removed it once");
    assertEquals(1, count(pg, "oplog"));
    await(vertx.close());

    // scheduled: every 200 ms on the leader
    vertx = null;
    deploy(op -> op.put("compaction_interval_ms", 200));
    stream(List.of(upsert("users", "x", doc("1")), upsert("users", "x", doc("2"))));
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> count(pg, "oplog") == 1 && OplogTestSupport.metadata(pg, "compaction") != null);
  }

  private static long totalBytes() {
    return ((Number) query(pg, "SELECT pg_total_relation_size('oplog') AS b").get(0).get("b"))
        .longValue();
  }
}
