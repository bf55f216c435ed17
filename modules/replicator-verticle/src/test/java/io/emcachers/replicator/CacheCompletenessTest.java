package io.emcachers.replicator;

import static io.emcachers.replicator.Pipeline.cacheState;
import static io.emcachers.replicator.Pipeline.del;
import static io.emcachers.replicator.Pipeline.meta;
import static io.emcachers.replicator.Pipeline.nodeOffset;
import static io.emcachers.replicator.Pipeline.up;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.messages.CacheDocRequest;
import io.emcachers.core.messages.CacheEntityRequest;
import io.emcachers.core.messages.CacheRowsReply;
import io.emcachers.core.messages.EntityNameRequest;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.JobAccepted;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.model.Entity;
import io.emcachers.devservices.DevPostgres;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9, "every cache equals its source": a caught-up cache is served at once, a rebuild never
 * swaps in a file that misses rows, a cache behind the node offset catches up, and a cache of an
 * earlier incarnation of an entity is rebuilt. Real oplog verticle on real PostgreSQL, real files.
 */
@Timeout(240)
class CacheCompletenessTest {

  static final Duration WAIT = Duration.ofSeconds(60);
  @TempDir static Path shared;
  static DevPostgres pg;
  @TempDir Path dataDir;
  Pipeline p;

  @BeforeAll
  static void startPostgres() {
    pg = new DevPostgres(shared.resolve("pg"), 0).start();
  }

  @AfterAll
  static void stopPostgres() {
    pg.close();
  }

  @BeforeEach
  void setUp() {
    Pipeline.resetTables(pg);
    p = new Pipeline(pg, dataDir);
  }

  @AfterEach
  void tearDown() {
    p.close();
  }

  Path cacheFile() {
    return dataDir.resolve("dbs/items/db.sqlite");
  }

  static JsonObject v(String value) {
    return new JsonObject().put("v", value);
  }

  void awaitOffset(long id) {
    await().atMost(WAIT).until(() -> nodeOffset(dataDir) >= id);
  }

  void restart() {
    p.stopReplicator();
    p.stopCache();
    p.startCache();
    p.startReplicator();
  }

  CacheRowsReply readViaEntityAddress(String docId) {
    return p.request(
        Addresses.cacheQueryFor("items"),
        new CacheDocRequest("items", docId),
        CacheRowsReply.class);
  }

  // ------------------------------------------------------------------------------------------ item
  // 5

  @Test
  void aCaughtUpCacheIsServedAtOnceNotOnTheNextStatusTick() {
    p.root.getJsonObject("replicator").put("status_interval_ms", 600_000);
    p.startAll();
    p.createLive("items", "v:Text");
    awaitOffset(p.append(up("items", "a", v("A"))).lastId());
    // the apply that made the cache caught up registered the read address before the offset was
    // written
    assertEquals("A", readViaEntityAddress("a").rows().get(0).getString("v"));

    // a restarted node with nothing left to apply serves its caught-up cache as soon as its first
    // pass ends
    restart();
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () -> {
              try {
                return readViaEntityAddress("a").rows().size() == 1;
              } catch (ReplyException e) {
                return false;
              }
            });
  }

  // ------------------------------------------------------------------------------------------ item
  // 8

  @Test
  void aRecreateUnderContinuousAppendsSwapsInEveryRow() throws Exception {
    p.root.getJsonObject("cache").put("rebuild_batch_size", 200);
    p.startAll();
    p.createLive("items", "v:Text");
    long seeded = 0;
    for (int b = 0; b < 5; b++) {
      List<OplogEntry> batch = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        batch.add(up("items", "s" + (b * 400 + i), v("seed" + b)));
      }
      seeded = p.append(batch).lastId();
    }
    awaitOffset(seeded);

    // every append writes new doc ids (and deletes a seed doc): a row the swapped-in file misses
    // stays missing
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong lastAppended = new AtomicLong(seeded);
    AtomicReference<Throwable> appendError = new AtomicReference<>();
    Thread appender =
        new Thread(
            () -> {
              try {
                for (int n = 0; !stop.get(); n++) {
                  List<OplogEntry> batch = new ArrayList<>();
                  for (int i = 0; i < 20; i++) {
                    batch.add(up("items", "w" + n + "-" + i, v("w" + n)));
                  }
                  batch.add(del("items", "s" + (n % 2000)));
                  lastAppended.set(p.append(batch).lastId());
                }
              } catch (Throwable t) {
                appendError.set(t);
              }
            },
            "appender");
    appender.start();
    try {
      for (int round = 0; round < 6; round++) {
        JobAccepted job =
            p.request(
                Addresses.REPLICATOR_RECREATE, new CacheEntityRequest("items"), JobAccepted.class);
        await().atMost(WAIT).until(() -> jobState(job.jobId()) != null);
        assertEquals("swapped", jobState(job.jobId()), "rebuild " + job.jobId());
      }
    } finally {
      stop.set(true);
      appender.join();
    }
    assertNull(appendError.get());
    awaitOffset(lastAppended.get());
    assertEquals(p.oplogState("items", "v"), cacheState(cacheFile(), "items", "v"));
  }

  String jobState(String jobId) {
    return p.events.stream()
        .filter(e -> "cache".equals(e.component()) && jobId.equals(e.data().getString("job_id")))
        .map(e -> e.state())
        .filter(s -> s.equals("swapped") || s.equals("failed") || s.equals("cancelled"))
        .findFirst()
        .orElse(null);
  }

  @Test
  void aCacheBehindTheNodeOffsetCatchesUpFromTheOplogAtStart() throws Exception {
    p.startAll();
    p.createLive("items", "v:Text");
    p.createLive("other", "v:Text");
    awaitOffset(p.append(up("items", "a", v("A")), up("items", "b", v("B"))).lastId());
    p.stopReplicator();
    p.stopCache();
    Path backup = dataDir.resolve("items-backup.sqlite");
    Files.copy(cacheFile(), backup);
    assertFalse(
        Files.exists(Path.of(cacheFile() + "-wal")), "closed cleanly: the file is self-contained");
    p.startCache();
    p.startReplicator();
    long last =
        p.append(
                up("items", "c", v("C")),
                del("items", "a"),
                up("other", "x", v("X")),
                up("items", "b", v("B2")))
            .lastId();
    awaitOffset(last);
    p.stopReplicator();
    p.stopCache();

    // the file goes back to an older copy: its last_oplog_id is below what the node offset implies
    Files.copy(backup, cacheFile(), StandardCopyOption.REPLACE_EXISTING);
    assertEquals(last, nodeOffset(dataDir));
    p.startCache();
    p.startReplicator();
    await()
        .atMost(WAIT)
        .until(() -> p.oplogState("items", "v").equals(cacheState(cacheFile(), "items", "v")));
    assertEquals(Long.toString(last), meta(cacheFile(), "last_oplog_id"));
  }

  // ------------------------------------------------------------------------------------------ item
  // 9

  @Test
  void aNodeOfflineDuringDeleteAndRecreateKeepsOnlyTheNewIncarnation() {
    p.startAll();
    Entity first = p.createLive("items", "v:Text");
    awaitOffset(p.append(up("items", "a", v("A")), up("items", "b", v("B"))).lastId());
    assertEquals(2, cacheState(cacheFile(), "items", "v").size());

    // the node is offline while the entity is deleted and created again with the same shape
    p.stopReplicator();
    p.stopCache();
    p.request(Addresses.ENTITIES_DELETE, new EntityNameRequest("items"), EntityReply.class);
    Entity second = p.createLive("items", "v:Text");
    assertEquals(first.shape().hash(), second.shape().hash());
    assertNotEquals(first.createdAt(), second.createdAt());
    long last = p.append(up("items", "c", v("C"))).lastId();
    assertTrue(Files.exists(cacheFile()), "the old incarnation's file is still there");

    p.startCache();
    p.startReplicator();
    awaitOffset(last);
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> p.oplogState("items", "v").equals(cacheState(cacheFile(), "items", "v")));
    assertEquals(List.of("c|C|" + last), cacheState(cacheFile(), "items", "v"));
    assertEquals("items@" + second.createdAt(), meta(cacheFile(), "incarnation"));
    assertEquals("2", meta(cacheFile(), "doc_id_rule"));
  }
}
