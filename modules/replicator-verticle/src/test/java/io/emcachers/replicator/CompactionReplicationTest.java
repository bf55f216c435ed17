package io.emcachers.replicator;

import static io.emcachers.replicator.Pipeline.del;
import static io.emcachers.replicator.Pipeline.up;
import static io.emcachers.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.client.OplogClient;
import io.emcachers.core.messages.CompactionReply;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.messages.OplogReadRequest;
import io.emcachers.core.messages.ReplicaInfo;
import io.emcachers.core.messages.StatusEvent;
import io.emcachers.devservices.DevPostgres;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replicator against a compacted oplog (issue 12): real oplog verticle on embedded PostgreSQL
 * with {@code retain_history_ms = 0} and on-demand compaction, real SQLite caches. A fresh node
 * bootstraps from the compacted state; a node that was stopped but stayed registered resumes
 * without a rebuild; a node offline past the tombstone horizon rebuilds and says so.
 */
@Timeout(240)
class CompactionReplicationTest {

  static final Duration WAIT = Duration.ofSeconds(90);
  static final String E = "items";
  @TempDir static Path shared;
  static DevPostgres pg;
  @TempDir Path dataDir;
  Pipeline p;
  OplogClient oplog;

  @BeforeAll
  static void startPostgres() {
    pg = new DevPostgres(shared.resolve("pg"), 0).start();
  }

  @AfterAll
  static void stopPostgres() {
    pg.close();
  }

  /** Every committed row is below H, no scheduled run; small pages so that reads page. */
  void setUp(Consumer<JsonObject> oplogSection) {
    Pipeline.resetTables(pg);
    p = new Pipeline(pg, dataDir);
    JsonObject op = p.root.getJsonObject("oplog");
    op.put("retain_history_ms", 0).put("compaction_interval_ms", 0);
    oplogSection.accept(op);
    p.root.getJsonObject("replicator").put("read_batch_size", 60).put("report_interval_ms", 100);
    p.root.getJsonObject("cache").put("rebuild_batch_size", 70);
    p.startOplog();
    oplog = new OplogClient(p.vertx.eventBus());
    p.createLive(E, "v:Integer");
  }

  @AfterEach
  void tearDown() {
    if (p != null) {
      p.close();
    }
  }

  static long count(String from) {
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl());
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM " + from)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new RuntimeException(e);
    }
  }

  Path dir;

  Path cacheFile() {
    return (dir == null ? dataDir : dir).resolve("dbs").resolve(E).resolve("db.sqlite");
  }

  /** {@code rounds} upserts of docs {@code d0..d(docs-1)}, one append per round, value = round. */
  void updates(int docs, int fromRound, int toRound) {
    for (int round = fromRound; round < toRound; round++) {
      List<OplogEntry> batch = new ArrayList<>();
      for (int d = 0; d < docs; d++) {
        batch.add(up(E, "d" + d, new JsonObject().put("v", round)));
      }
      p.append(batch);
    }
  }

  void deletes(int fromDoc, int toDoc) {
    List<OplogEntry> batch = new ArrayList<>();
    for (int d = fromDoc; d < toDoc; d++) {
      batch.add(del(E, "d" + d));
    }
    p.append(batch);
  }

  CompactionReply compact() {
    return await(oplog.compact("test", 120_000), Duration.ofSeconds(120));
  }

  long head() {
    return await(oplog.stats()).headId();
  }

  ReplicaInfo replica(String node) {
    return await(oplog.replicas()).replicas().stream()
        .filter(r -> r.nodeId().equals(node))
        .findFirst()
        .orElse(null);
  }

  /** The cache holds exactly what the oplog's state is (doc|v|oplog id). */
  void awaitCacheEqualsOplog() {
    List<String> expected = p.oplogState(E, "v");
    Awaitility.await()
        .atMost(WAIT)
        .until(() -> expected.equals(Pipeline.cacheState(cacheFile(), E, "v")));
  }

  List<String> docIdsInCache() {
    return Pipeline.cacheState(cacheFile(), E, "v").stream().map(s -> s.split("\\|")[0]).toList();
  }

  List<StatusEvent> rebuildEvents() {
    return p.events.stream()
        .filter(ev -> ProgressTracker.REBUILDING_AFTER_COMPACTION.equals(ev.state()))
        .toList();
  }

  @Test
  void aFreshNodeBootstrapsFromTheCompactedOplog() {
    setUp(op -> {});
    updates(200, 0, 20);
    deletes(180, 200);
    CompactionReply run = compact();
    assertTrue(run.supersededRemoved() >= 200 * 19, "superseded rows removed: " + run);
    // no replica: T = H, the deletes and the rows they superseded are gone (except the head row)
    assertTrue(count("oplog") <= 181, "about one row per live document");

    p.startCache().startReplicator();

    Awaitility.await().atMost(WAIT).until(() -> Pipeline.nodeOffset(dataDir) >= head());
    awaitCacheEqualsOplog();
    List<String> state = Pipeline.cacheState(cacheFile(), E, "v");
    assertEquals(180, state.size(), "deleted docs absent");
    for (String row : state) {
      assertEquals("19", row.split("\\|")[1], "the last value: " + row);
    }
    assertEquals(List.of(), rebuildEvents(), "a fresh node does not rebuild");
    ReplicaInfo me = replica("node-a");
    assertTrue(me != null && me.live(), "registered");
    Awaitility.await()
        .atMost(WAIT)
        .until(() -> replica("node-a").appliedOffset() == Pipeline.nodeOffset(dataDir));
  }

  /**
   * A fresh node's build from the compacted state, while another entity's rows interleave with this
   * one's in the oplog and new updates and deletes of both are appended during the build, ends
   * exactly at the oplog's state: every document at its last value with the id of its last row, no
   * deleted document, for both caches.
   */
  @Test
  void aFreshNodeBootstrapsWhileAppendsGoOnAndConvergesExactly() {
    setUp(op -> {});
    p.createLive("other", "v:Integer");
    for (int round = 0; round < 12; round++) {
      List<OplogEntry> batch = new ArrayList<>();
      for (int d = 0; d < 150; d++) {
        batch.add(up(E, "d" + d, new JsonObject().put("v", round)));
        batch.add(up("other", "o" + d, new JsonObject().put("v", 100 + round)));
      }
      p.append(batch);
    }
    deletes(140, 150);
    CompactionReply run = compact();
    assertTrue(run.supersededRemoved() >= 2 * 150 * 11, "superseded rows removed: " + run);

    p.startCache().startReplicator();
    for (int round = 12; round < 16; round++) {
      List<OplogEntry> batch = new ArrayList<>();
      for (int d = round; d < 150; d += 3) {
        if (d < 140) {
          batch.add(up(E, "d" + d, new JsonObject().put("v", round)));
        }
        batch.add(up("other", "o" + d, new JsonObject().put("v", 100 + round)));
      }
      batch.add(del("other", "o" + round));
      batch.add(up(E, "d" + (140 + round - 12), new JsonObject().put("v", round))); // back again
      p.append(batch);
    }

    Awaitility.await().atMost(WAIT).until(() -> Pipeline.nodeOffset(dataDir) >= head());
    awaitCacheEqualsOplog();
    Path other = dataDir.resolve("dbs").resolve("other").resolve("db.sqlite");
    List<String> expectedOther = p.oplogState("other", "v");
    Awaitility.await()
        .atMost(WAIT)
        .until(() -> expectedOther.equals(Pipeline.cacheState(other, "other", "v")));
    assertEquals(144, Pipeline.cacheState(cacheFile(), E, "v").size(), "140 + 4 back again");
    assertEquals(146, expectedOther.size(), "150 - 4 deleted during the build");
    assertEquals(List.of(), rebuildEvents(), "a fresh node does not rebuild");
  }

  @Test
  void aStoppedNodeInsideTheHorizonResumesWithoutRebuilding() {
    setUp(op -> {});
    p.startCache().startReplicator();
    updates(200, 0, 5);
    long stoppedAt = head();
    Awaitility.await().atMost(WAIT).until(() -> Pipeline.nodeOffset(dataDir) >= stoppedAt);
    Awaitility.await()
        .atMost(WAIT)
        .until(() -> replica("node-a") != null && replica("node-a").appliedOffset() >= stoppedAt);
    p.stopReplicator();

    updates(200, 5, 20);
    deletes(150, 200);
    CompactionReply run = compact();
    assertTrue(
        run.tombstoneHorizon() <= stoppedAt + 1,
        "the live registered node holds the tombstone horizon back: " + run);
    assertTrue(run.supersededRemoved() > 0, "compacted: " + run);
    assertEquals(
        ErrorCodes.COMPACTED,
        p.failure(Addresses.OPLOG_READ, new OplogReadRequest(stoppedAt, 10, null)).failureCode(),
        "its next plain read fails COMPACTED");
    assertEquals(50, count("oplog WHERE op = 'Delete'"), "its deletes are kept");

    p.startReplicator();

    Awaitility.await().atMost(WAIT).until(() -> Pipeline.nodeOffset(dataDir) >= head());
    awaitCacheEqualsOplog();
    List<String> ids = docIdsInCache();
    assertEquals(150, ids.size());
    assertFalse(ids.contains("d150") || ids.contains("d199"), "deletes applied");
    assertEquals(List.of(), rebuildEvents(), "no rebuild inside the horizon");
    assertFalse(replica("node-a").rebuildRequired());
  }

  @Test
  void aFreshDataDirUnderAKnownNodeIdBootstrapsWithoutRebuilding() {
    setUp(op -> {});
    p.startCache().startReplicator();
    updates(50, 0, 4);
    long first = head();
    Awaitility.await().atMost(WAIT).until(() -> Pipeline.nodeOffset(dataDir) >= first);
    Awaitility.await()
        .atMost(WAIT)
        .until(() -> replica("node-a") != null && replica("node-a").appliedOffset() >= first);
    p.stopReplicator();
    p.stopCache();

    dir = dataDir.resolve("fresh");
    p.useDataDir(dir, "node-a"); // the data dir is lost, the node id stays registered at `first`
    updates(50, 4, 6);
    deletes(0, 10);
    compact();
    p.startCache().startReplicator();

    Awaitility.await().atMost(WAIT).until(() -> Pipeline.nodeOffset(dir) >= head());
    awaitCacheEqualsOplog();
    assertEquals(40, docIdsInCache().size());
    assertEquals(List.of(), rebuildEvents(), "empty caches: a bootstrap, not a rebuild");
    Awaitility.await()
        .atMost(WAIT)
        .until(() -> replica("node-a").appliedOffset() == Pipeline.nodeOffset(dir));
  }

  @Test
  void theReportedOffsetStaysBelowRunningCacheRebuilds() {
    JsonObject health =
        new JsonObject()
            .put(
                "rebuilds",
                new io.vertx.core.json.JsonArray()
                    .add(new JsonObject().put("state", "rebuilding").put("read_through", 40))
                    .add(new JsonObject().put("state", "started").put("read_through", 0))
                    .add(new JsonObject().put("state", "swapped").put("read_through", 7)));
    assertEquals(0, SyncLoop.lowestRebuildPosition(health));
    health.getJsonArray("rebuilds").remove(1);
    assertEquals(40, SyncLoop.lowestRebuildPosition(health));
    assertEquals(Long.MAX_VALUE, SyncLoop.lowestRebuildPosition(new JsonObject()));
  }

  @Test
  void aNodeOfflinePastTheTombstoneHorizonRebuildsAndSaysSo() {
    setUp(op -> op.put("replica_expiry_ms", 1));
    p.startCache().startReplicator();
    updates(100, 0, 3);
    long stoppedAt = head();
    Awaitility.await().atMost(WAIT).until(() -> Pipeline.nodeOffset(dataDir) >= stoppedAt);
    Awaitility.await()
        .atMost(WAIT)
        .until(() -> replica("node-a") != null && replica("node-a").appliedOffset() >= stoppedAt);
    p.stopReplicator();
    Awaitility.await().atMost(WAIT).until(() -> !replica("node-a").live());

    updates(100, 3, 6);
    deletes(70, 100);
    CompactionReply run = compact();
    assertTrue(run.tombstoneHorizon() > stoppedAt + 1, "the expired node holds nothing: " + run);
    assertTrue(run.tombstonesRemoved() > 0, "deletes it never applied are gone: " + run);
    assertTrue(replica("node-a").rebuildRequired(), "the registry asks it to rebuild");
    assertEquals(100, docIdsInCache().size(), "the stale cache still holds the deleted docs");

    p.startReplicator();

    Awaitility.await().atMost(WAIT).until(() -> !rebuildEvents().isEmpty());
    StatusEvent ev = rebuildEvents().get(0);
    assertEquals(StatusEvent.TYPE_ERROR, ev.type());
    assertEquals("node-a", ev.data().getString("node"));
    assertEquals(stoppedAt, ev.data().getLong("offset"));
    assertEquals(run.tombstoneHorizon(), ev.data().getLong("tombstone_horizon"));
    Awaitility.await().atMost(WAIT).until(() -> Pipeline.nodeOffset(dataDir) >= head());
    awaitCacheEqualsOplog();
    List<String> ids = docIdsInCache();
    assertEquals(70, ids.size(), "deleted docs absent after the rebuild");
    assertFalse(ids.contains("d70") || ids.contains("d99"));
    for (String row : Pipeline.cacheState(cacheFile(), E, "v")) {
      assertEquals("5", row.split("\\|")[1], "the last value: " + row);
    }
    Awaitility.await().atMost(WAIT).until(() -> !replica("node-a").rebuildRequired());
    assertEquals(1, rebuildEvents().size(), "one rebuild");
    // the rebuild used the recreate machinery: the old file served reads until the swap
    assertTrue(
        p.events.stream()
            .anyMatch(
                e ->
                    "cache".equals(e.component())
                        && "swapped".equals(e.state())
                        && e.data() != null
                        && "recreate".equals(e.data().getString("mode"))),
        "a recreate swapped in the rebuilt file");
    assertTrue(
        p.events.stream().anyMatch(e -> ProgressTracker.REBUILT_AFTER_COMPACTION.equals(e.state())),
        "the end of the rebuild is announced");
  }
}
