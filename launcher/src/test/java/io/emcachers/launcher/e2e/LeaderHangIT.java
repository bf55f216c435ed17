package io.emcachers.launcher.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.devservices.DevMongo;
import io.emcachers.devservices.DevPostgres;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.MongoClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two app JVMs on one PostgreSQL and one MongoDB: the leader is frozen with SIGSTOP for 30 s while
 * writes continue. The standby ends its session once the lease passes and takes over within 10 s;
 * the resumed old leader finds itself deposed and becomes a standby without leading again; every
 * cache row on both nodes equals the source.
 */
class LeaderHangIT {

  static DevPostgres pg;
  static DevMongo mongoServer;
  static Vertx vertx;
  @TempDir static Path work;

  @BeforeAll
  static void start() {
    pg = DevPostgres.startTemporary();
    mongoServer = DevMongo.start(0);
    vertx = Vertx.vertx();
    CrashRecoveryIT.mongo =
        MongoClient.createShared(
            vertx, new JsonObject().put("connection_string", mongoServer.url("app")), "hang");
  }

  @AfterAll
  static void stop() {
    if (vertx != null) {
      vertx.close();
    }
    if (mongoServer != null) {
      mongoServer.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  Process launch(String node, Path dataDir, Path entities, Path log) throws Exception {
    return AppProcess.start(
        mongoServer,
        pg,
        dataDir,
        entities,
        log,
        0,
        "384m",
        Map.of(
            "EMC_API_KEY", "hang-test-key",
            "EMC_NODE_ID", node,
            "EMC_REPLICATOR_POLL_INTERVAL_MS", "200",
            "EMC_OPLOG_STANDBY_RETRY_MS", "500",
            "EMC_OPLOG_LEASE_RENEW_MS", "1000",
            "EMC_OPLOG_LEASE_TTL_MS", "6000"));
  }

  static void signal(Process p, String sig) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).start();
    assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + sig);
  }

  static long count(Path log, String fragment) throws Exception {
    return Files.readAllLines(log).stream().filter(l -> l.contains(fragment)).count();
  }

  @Test
  void aFrozenLeaderIsReplacedWithinTenSecondsAndOnWakingBecomesAStandbyWithoutWriting()
      throws Exception {
    Path entities = work.resolve("entities.json");
    Files.writeString(entities, new JsonArray().add(itemsEntity()).encode());
    List<Future<?>> seed = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      seed.add(CrashRecoveryIT.mongo.insert("items", CrashRecoveryIT.doc(i, 0)));
    }
    Future.all(seed).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

    Path dataA = work.resolve("a");
    Path dataB = work.resolve("b");
    Path logA = work.resolve("a.log");
    Path logB = work.resolve("b.log");
    Process a = launch("node-a", dataA, entities, logA);
    CrashRecoveryIT.awaitOrDump(
        logA, Duration.ofSeconds(30), () -> count(logA, "node node-a is the leader") == 1);
    // a standby started with the same definitions does not fail: it applies them once it leads
    Process b = launch("node-b", dataB, entities, logB);
    assertEquals(
        1, count(logB, "applied in the background once a leader accepts them"), "b deferred them");
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicInteger ops = new AtomicInteger();
    Thread writer =
        new Thread(() -> CrashRecoveryIT.writeUntilStopped(writing, ops), "source-writer");
    writer.start();
    try {
      CrashRecoveryIT.awaitOrDump(
          logB,
          Duration.ofSeconds(60),
          () ->
              count(logB, "node node-b is standby") >= 1
                  && SqliteRows.rows(dataA, "items").size() >= 150
                  && SqliteRows.rows(dataB, "items").size() >= 150
                  && ops.get() > 200);

      signal(a, "STOP");
      long frozenAt = System.nanoTime();
      CrashRecoveryIT.awaitOrDump(
          logB, Duration.ofSeconds(20), () -> count(logB, "node node-b is the leader") == 1);
      long takeoverMs = (System.nanoTime() - frozenAt) / 1_000_000;
      System.out.println("LeaderHangIT: the standby took over " + takeoverMs + " ms after SIGSTOP");
      assertTrue(takeoverMs <= 10_000, "the standby took over after " + takeoverMs + " ms");
      assertTrue(
          count(logB, "ending that session and taking over") >= 1,
          "the standby ended the frozen leader's session");
      CrashRecoveryIT.awaitOrDump(
          logB, Duration.ofSeconds(20), () -> count(logB, "applied through the leader") == 1);

      // the rest of the 30 s freeze, with writes flowing through the new leader
      int atTakeover = ops.get();
      long thawAt = frozenAt + Duration.ofSeconds(30).toNanos();
      CrashRecoveryIT.awaitOrDump(
          logB,
          Duration.ofSeconds(40),
          () -> System.nanoTime() >= thawAt && ops.get() > atTakeover + 100);
      long linesBeforeThaw = Files.readAllLines(logA).size();
      signal(a, "CONT");
      CrashRecoveryIT.awaitOrDump(
          logA,
          Duration.ofSeconds(30),
          () -> linesAfter(logA, linesBeforeThaw).stream().anyMatch(l -> l.contains("is standby")));
      int atThaw = ops.get();
      CrashRecoveryIT.awaitOrDump(logA, Duration.ofSeconds(30), () -> ops.get() > atThaw + 100);
      List<String> woke = linesAfter(logA, linesBeforeThaw);
      assertFalse(
          woke.stream().anyMatch(l -> l.contains("is the leader")),
          "the resumed node never led again:\n" + String.join("\n", woke));
      assertEquals(1, count(logB, "node node-b is the leader"), "one takeover only");
    } finally {
      writing.set(false);
      writer.join(30_000);
    }
    try {
      Map<String, Map<String, Object>> expected = CrashRecoveryIT.sourceRows();
      assertTrue(expected.size() > 100, "a meaningful number of documents: " + expected.size());
      CrashRecoveryIT.awaitOrDump(
          logB, Duration.ofSeconds(90), () -> SqliteRows.rows(dataB, "items").equals(expected));
      CrashRecoveryIT.awaitOrDump(
          logA, Duration.ofSeconds(90), () -> SqliteRows.rows(dataA, "items").equals(expected));
      assertEquals(expected, SqliteRows.rows(dataA, "items"));
      assertEquals(expected, SqliteRows.rows(dataB, "items"));
    } finally {
      for (Process p : List.of(a, b)) {
        p.destroy();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
    }
  }

  static List<String> linesAfter(Path log, long skip) throws Exception {
    return Files.readAllLines(log).stream().skip(skip).toList();
  }

  static JsonObject itemsEntity() {
    JsonArray columns =
        new JsonArray()
            .add(new JsonObject().put("name", "id").put("type", "Text").put("path", "_id"))
            .add(new JsonObject().put("name", "n").put("type", "Integer").put("path", "n"))
            .add(new JsonObject().put("name", "label").put("type", "Text").put("path", "label"));
    return new JsonObject()
        .put("name", "items")
        .put(
            "shape",
            new JsonObject()
                .put("entity_name", "Item")
                .put("source_name", "items")
                .put("columns", columns));
  }
}
