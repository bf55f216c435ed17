package io.emcachers.replicator;

import static io.emcachers.replicator.Pipeline.del;
import static io.emcachers.replicator.Pipeline.sqlite;
import static io.emcachers.replicator.Pipeline.up;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.CacheDocRequest;
import io.emcachers.core.messages.CacheEntityRequest;
import io.emcachers.core.messages.CacheInfoReply;
import io.emcachers.core.messages.CachePageRequest;
import io.emcachers.core.messages.CacheQueryRequest;
import io.emcachers.core.messages.CacheRowsReply;
import io.emcachers.core.messages.EntityNameRequest;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.EntityUpsertRequest;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.core.messages.JobAccepted;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.messages.StatusEvent;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.Shape;
import io.emcachers.devservices.DevPostgres;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replicator and the cache-db manager against the real oplog verticle on a real PostgreSQL,
 * with real SQLite files: every assertion reads the files (or the bus) for what they really hold.
 */
@Timeout(180)
class ReplicationTest {

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

  Path cacheFile(Path dir, String entity) {
    return dir.resolve("dbs").resolve(entity).resolve("db.sqlite");
  }

  Path cacheFile(String entity) {
    return cacheFile(dataDir, entity);
  }

  static long count(Path file, String table) {
    List<Map<String, Object>> r = sqlite(file, "SELECT count(*) AS c FROM " + table);
    return r == null ? -1 : ((Number) r.get(0).get("c")).longValue();
  }

  static List<Map<String, Object>> all(Path file, String table) {
    return sqlite(file, "SELECT * FROM " + table + " ORDER BY _doc_id");
  }

  static long nodeOffset(Path dir) {
    List<Map<String, Object>> r =
        sqlite(
            dir.resolve("meta.sqlite"), "SELECT value FROM metadata WHERE key = 'pg_oplog_offset'");
    return r == null || r.isEmpty() ? -1 : Long.parseLong((String) r.get(0).get("value"));
  }

  void awaitOffset(Path dir, long id) {
    await().atMost(WAIT).until(() -> nodeOffset(dir) >= id);
  }

  HealthReply stats() {
    return p.request(Addresses.REPLICATOR_STATS, new HealthRequest(), HealthReply.class);
  }

  static JsonObject item(String t, Object i, Object n, Object b, Object j, Object a) {
    return new JsonObject().put("t", t).put("i", i).put("n", n).put("b", b).put("j", j).put("a", a);
  }

  static final String[] ITEM_COLUMNS = {
    "t:Text", "i:Integer", "n:Number", "b:Bool", "j:JSONB", "a:Any"
  };

  // ------------------------------------------------------------------------------------------

  @Test
  void rowsAppearChangeAndDisappearWithTheirTypes() {
    p.startAll();
    p.createLive("items", ITEM_COLUMNS);
    AppendResult first =
        p.append(
            up(
                "items",
                "d1",
                item(
                    "hello",
                    42,
                    1.5,
                    true,
                    new JsonObject().put("k", new JsonArray().add(1).add(2)),
                    "s")),
            up("items", "d2", item("two", 2, 2.0, false, new JsonArray().add("x"), 7)),
            up("items", "d3", item(null, null, null, null, null, new JsonObject().put("o", true))));
    await().atMost(WAIT).until(() -> count(cacheFile("items"), "items") == 3);

    Map<String, Object> d1 =
        sqlite(
                cacheFile("items"),
                "SELECT t, typeof(t) tt, i, typeof(i) ti, n, typeof(n) tn, b, typeof(b) tb, j, typeof(j) tj, a, typeof(a) ta, _oplog_id FROM items WHERE _doc_id = 'd1'")
            .get(0);
    assertEquals("hello", d1.get("t"));
    assertEquals("text", d1.get("tt"));
    assertEquals(42, ((Number) d1.get("i")).intValue());
    assertEquals("integer", d1.get("ti"));
    assertEquals(1.5, ((Number) d1.get("n")).doubleValue());
    assertEquals("real", d1.get("tn"));
    assertEquals(1, ((Number) d1.get("b")).intValue());
    assertEquals("integer", d1.get("tb"));
    assertEquals(
        new JsonObject().put("k", new JsonArray().add(1).add(2)),
        new JsonObject((String) d1.get("j")));
    assertEquals("text", d1.get("tj"));
    assertEquals("s", d1.get("a"));
    assertEquals(first.lastId() - 2, ((Number) d1.get("_oplog_id")).longValue());
    Map<String, Object> d2 =
        sqlite(
                cacheFile("items"),
                "SELECT n, typeof(n) tn, b, a, typeof(a) ta FROM items WHERE _doc_id = 'd2'")
            .get(0);
    assertEquals("real", d2.get("tn"), "a whole number in a Number column is REAL");
    assertEquals(0, ((Number) d2.get("b")).intValue());
    assertEquals("integer", d2.get("ta"));
    Map<String, Object> d3 =
        sqlite(
                cacheFile("items"),
                "SELECT typeof(t) tt, typeof(b) tb, a FROM items WHERE _doc_id = 'd3'")
            .get(0);
    assertEquals("null", d3.get("tt"));
    assertEquals("null", d3.get("tb"));
    assertEquals(new JsonObject().put("o", true), new JsonObject((String) d3.get("a")));

    AppendResult second =
        p.append(
            up("items", "d1", item("changed", 43, 2.5, false, null, null)), del("items", "d2"));
    await()
        .atMost(WAIT)
        .until(
            () ->
                count(cacheFile("items"), "items") == 2
                    && "changed"
                        .equals(
                            sqlite(cacheFile("items"), "SELECT t FROM items WHERE _doc_id = 'd1'")
                                .get(0)
                                .get("t")));
    Map<String, Object> changed =
        sqlite(
                cacheFile("items"),
                "SELECT i, b, typeof(j) tj, _oplog_id FROM items WHERE _doc_id = 'd1'")
            .get(0);
    assertEquals(43, ((Number) changed.get("i")).intValue());
    assertEquals(0, ((Number) changed.get("b")).intValue());
    assertEquals("null", changed.get("tj"));
    assertEquals(second.lastId() - 1, ((Number) changed.get("_oplog_id")).longValue());
    assertEquals(
        Long.toString(second.lastId()),
        sqlite(cacheFile("items"), "SELECT value FROM _emc_meta WHERE key = 'last_oplog_id'")
            .get(0)
            .get("value"));
    awaitOffset(dataDir, second.lastId());

    // reads over the bus: Bool as true/false, JSONB parsed back
    CacheRowsReply doc =
        p.request(
            Addresses.CACHE_GET_DOC, new CacheDocRequest("items", "d3"), CacheRowsReply.class);
    assertEquals(1, doc.rows().size());
    assertNull(doc.rows().get(0).getValue("b"));
    CacheRowsReply page =
        p.request(
            Addresses.CACHE_PAGE, new CachePageRequest("items", null, 1), CacheRowsReply.class);
    assertEquals("d1", page.rows().get(0).getString("_doc_id"));
    assertEquals(Boolean.FALSE, page.rows().get(0).getValue("b"));
    assertEquals("d1", page.next());
    CacheRowsReply rest =
        p.request(
            Addresses.CACHE_PAGE, new CachePageRequest("items", "d1", 10), CacheRowsReply.class);
    assertEquals(List.of("d3"), rest.rows().stream().map(r -> r.getString("_doc_id")).toList());
    assertNull(rest.next());

    // caught up: this node serves the entity's cluster-wide read address
    await()
        .atMost(WAIT)
        .until(
            () -> {
              try {
                CacheRowsReply r =
                    p.request(
                        Addresses.cacheQueryFor("items"),
                        new CacheDocRequest("items", "d1"),
                        CacheRowsReply.class);
                return r.rows().size() == 1 && r.rows().get(0).getInteger("i") == 43;
              } catch (ReplyException e) {
                return false;
              }
            });
    CacheRowsReply viaAddress =
        p.request(
            Addresses.cacheQueryFor("items"),
            new CacheQueryRequest(
                "items",
                "SELECT _doc_id, j FROM items WHERE _doc_id = ?",
                new JsonArray().add("d1"),
                10,
                1000),
            CacheRowsReply.class);
    assertEquals(1, viaAddress.rows().size());

    JsonObject info =
        p.request(Addresses.CACHE_INFO, new CacheEntityRequest("items"), CacheInfoReply.class)
            .info();
    JsonObject itemsInfo = info.getJsonObject("entities").getJsonObject("items");
    assertEquals(second.lastId(), itemsInfo.getLong("last_oplog_id"));
    assertEquals(2L, itemsInfo.getLong("rows"));
    assertEquals(cacheFile("items").toAbsolutePath().toString(), itemsInfo.getString("path"));
    assertNotNull(itemsInfo.getString("shape_hash"));
    assertTrue(info.getInteger("open_connections") >= 1);

    JsonObject details = stats().details();
    assertEquals("node-a", details.getString("node"));
    JsonObject e = details.getJsonObject("entities").getJsonObject("items");
    assertEquals(second.lastId(), e.getLong("last_applied_id"));
    assertEquals(0L, e.getLong("lag_rows"));
    // the first batch built the new cache from the oplog (its rows then count as skipped)
    assertEquals(5L, e.getLong("rows_applied") + e.getLong("rows_skipped"));
    assertEquals(2L, e.getLong("rows_applied"));
    assertEquals("caught_up", e.getString("status"));
    assertTrue(details.getJsonArray("jobs").size() >= 1);
  }

  @Test
  void aCrashBetweenCacheCommitAndOffsetCommitReplaysHarmlessly() throws Exception {
    p.startAll();
    p.createLive("items", ITEM_COLUMNS);
    long last = 0;
    for (int b = 0; b < 5; b++) {
      List<OplogEntry> batch = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        batch.add(
            up(
                "items",
                "d" + (i % 30),
                item(
                    "v" + b + "-" + i, i, i / 2.0, i % 2 == 0, new JsonObject().put("b", b), "x")));
      }
      batch.add(del("items", "d" + b));
      last = p.append(batch).lastId();
    }
    awaitOffset(dataDir, last);
    List<Map<String, Object>> before = all(cacheFile("items"), "items");

    // the caches committed, the offset did not: put meta.sqlite back to 0 while the replicator is
    // down
    p.stopReplicator();
    try (Connection c =
            DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("meta.sqlite"));
        Statement st = c.createStatement()) {
      st.executeUpdate("UPDATE metadata SET value = '0' WHERE key = 'pg_oplog_offset'");
    }
    assertEquals(0, nodeOffset(dataDir));
    p.startReplicator();
    awaitOffset(dataDir, last);
    assertEquals(before, all(cacheFile("items"), "items"));
    JsonObject e = stats().details().getJsonObject("entities").getJsonObject("items");
    assertEquals(0L, e.getLong("rows_applied"), "every replayed row was skipped by the cache");
    assertEquals(last, e.getLong("last_applied_id"));
  }

  @Test
  void aFreshDataDirReplaysFromZeroAndConverges(@TempDir Path fresh) {
    p.startAll();
    p.createLive("items", ITEM_COLUMNS);
    p.createLive("people", "name:Text", "age:Integer");
    long last = 0;
    for (int b = 0; b < 4; b++) {
      List<OplogEntry> batch = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        batch.add(
            up(
                i % 2 == 0 ? "items" : "people",
                "k" + (i % 170),
                i % 2 == 0
                    ? item("v" + i, i, i * 1.5, true, null, b)
                    : new JsonObject().put("name", "p" + i).put("age", i)));
      }
      batch.add(del("items", "k" + b * 2));
      last = p.append(batch).lastId();
    }
    awaitOffset(dataDir, last);
    List<Map<String, Object>> items = all(cacheFile("items"), "items");
    List<Map<String, Object>> people = all(cacheFile("people"), "people");
    assertFalse(items.isEmpty());

    p.stopReplicator();
    p.stopCache();
    p.useDataDir(fresh, "node-b");
    p.startCache();
    p.startReplicator();
    awaitOffset(fresh, last);
    await()
        .atMost(WAIT)
        .until(
            () ->
                items.equals(all(cacheFile(fresh, "items"), "items"))
                    && people.equals(all(cacheFile(fresh, "people"), "people")));
  }

  @Test
  void aDeletedEntityLosesItsDirectory() {
    p.startAll();
    p.createLive("items", ITEM_COLUMNS);
    p.createLive("people", "name:Text", "age:Integer");
    long last =
        p.append(
                up("items", "a", item("a", 1, 1.0, true, null, null)),
                up("people", "p", new JsonObject().put("name", "x")))
            .lastId();
    awaitOffset(dataDir, last);
    assertTrue(Files.exists(cacheFile("items")));
    // reading the file is what an outside process would do while the entity gets deleted
    p.request(Addresses.CACHE_GET_DOC, new CacheDocRequest("items", "a"), CacheRowsReply.class);

    p.request(Addresses.ENTITIES_DELETE, new EntityNameRequest("items"), EntityReply.class);
    await().atMost(WAIT).until(() -> !Files.exists(dataDir.resolve("dbs/items")));

    // the replicator keeps going for the others and never brings the deleted one back
    long later =
        p.append(
                up("people", "q", new JsonObject().put("name", "y")),
                up("items", "b", item("b", 2, 2.0, true, null, null)))
            .lastId();
    awaitOffset(dataDir, later);
    await().atMost(WAIT).until(() -> count(cacheFile("people"), "people") == 2);
    assertFalse(Files.exists(dataDir.resolve("dbs/items")));
    ReplyException e = p.failure(Addresses.CACHE_GET_DOC, new CacheDocRequest("items", "a"));
    assertEquals(ErrorCodes.NOT_FOUND, e.failureCode());
    assertFalse(stats().details().getJsonObject("entities").containsKey("items"));
  }

  @Test
  void aCacheOfAnEntityDeletedWhileTheNodeWasDownIsRemovedAtStart() {
    p.startAll();
    p.createLive("items", ITEM_COLUMNS);
    awaitOffset(dataDir, p.append(up("items", "a", item("a", 1, 1.0, true, null, null))).lastId());
    p.stopReplicator();
    p.stopCache();
    p.request(Addresses.ENTITIES_DELETE, new EntityNameRequest("items"), EntityReply.class);
    assertTrue(Files.exists(cacheFile("items")));
    p.startCache();
    await().atMost(WAIT).until(() -> !Files.exists(dataDir.resolve("dbs/items")));
  }

  @Test
  void aDroppedCacheOfALiveEntityIsBuiltAgainFromTheOplog() {
    p.startAll();
    p.createLive("items", ITEM_COLUMNS);
    awaitOffset(
        dataDir,
        p.append(
                up("items", "a", item("a", 1, 1.0, true, null, null)),
                up("items", "b", item("b", 2, 2.0, false, null, null)))
            .lastId());
    List<Map<String, Object>> before = all(cacheFile("items"), "items");
    JsonObject dropped =
        p.request(Addresses.CACHE_DROP, new CacheEntityRequest("items"), CacheInfoReply.class)
            .info();
    assertTrue(dropped.getBoolean("dropped"));
    assertFalse(Files.exists(dataDir.resolve("dbs/items")));
    assertEquals(
        ErrorCodes.NOT_FOUND,
        p.failure(Addresses.CACHE_INFO, new CacheEntityRequest("items")).failureCode());

    // the next batch finds no file: the cache is built from all of the entity's oplog rows first
    long last = p.append(up("items", "c", item("c", 3, 3.0, true, null, null))).lastId();
    awaitOffset(dataDir, last);
    await().atMost(WAIT).until(() -> count(cacheFile("items"), "items") == 3);
    List<Map<String, Object>> now = all(cacheFile("items"), "items");
    assertEquals(before, now.subList(0, 2));
  }

  @Test
  void aShapeChangeRebuildsTheCacheWithTheNewColumns() {
    p.startAll();
    p.createLive("people", "name:Text");
    long last =
        p.append(
                up("people", "p1", new JsonObject().put("name", "ann")),
                up("people", "p2", new JsonObject().put("name", "bob")))
            .lastId();
    awaitOffset(dataDir, last);
    String oldHash =
        (String)
            sqlite(cacheFile("people"), "SELECT value FROM _emc_meta WHERE key = 'shape_hash'")
                .get(0)
                .get("value");

    Entity updated =
        p.request(
                Addresses.ENTITIES_UPDATE,
                new EntityUpsertRequest(
                    Pipeline.definition("people", "name:Text", "age:Integer", "vip:Bool")),
                EntityReply.class)
            .entity();
    Shape shape = updated.shape();
    await()
        .atMost(WAIT)
        .until(
            () -> {
              List<Map<String, Object>> cols =
                  sqlite(
                      cacheFile("people"),
                      "SELECT name, type FROM pragma_table_info('people') ORDER BY cid");
              return cols != null
                  && cols.stream()
                      .map(c -> c.get("name"))
                      .toList()
                      .equals(List.of("_doc_id", "name", "age", "vip", "_oplog_id"));
            });
    assertEquals(
        shape.hash(),
        sqlite(cacheFile("people"), "SELECT value FROM _emc_meta WHERE key = 'shape_hash'")
            .get(0)
            .get("value"));
    assertNotEquals(oldHash, shape.hash());
    assertEquals(2, count(cacheFile("people"), "people"), "rebuilt from the entity's oplog rows");
    assertEquals(
        "INTEGER",
        sqlite(
                cacheFile("people"),
                "SELECT type FROM pragma_table_info('people') WHERE name = 'vip'")
            .get(0)
            .get("type"));

    // rows of the new shape (the listener re-scans) fill the new columns
    p.setLive("people");
    long next =
        p.append(
                up(
                    "people",
                    "p1",
                    new JsonObject().put("name", "ann").put("age", 30).put("vip", true)))
            .lastId();
    awaitOffset(dataDir, next);
    Map<String, Object> p1 =
        sqlite(
                cacheFile("people"),
                "SELECT age, typeof(age) ta, vip FROM people WHERE _doc_id = 'p1'")
            .get(0);
    assertEquals(30, ((Number) p1.get("age")).intValue());
    assertEquals("integer", p1.get("ta"));
    assertEquals(1, ((Number) p1.get("vip")).intValue());
  }

  @Test
  void recreateRebuildsIdenticalContentWhileTheOldFileServes() throws Exception {
    p.root.getJsonObject("cache").put("rebuild_batch_size", 25);
    p.startAll();
    p.createLive("items", ITEM_COLUMNS);
    long last = 0;
    for (int b = 0; b < 6; b++) {
      List<OplogEntry> batch = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        batch.add(
            up(
                "items",
                "d" + ((b * 400 + i) % 1500),
                item("v" + b + i, i, i * 0.25, i % 3 == 0, new JsonObject().put("b", b), i)));
      }
      batch.add(del("items", "d" + b));
      last = p.append(batch).lastId();
    }
    awaitOffset(dataDir, last);
    List<Map<String, Object>> before = all(cacheFile("items"), "items");
    Object inodeBefore = Files.getAttribute(cacheFile("items"), "unix:ino");

    JobAccepted job =
        p.request(
            Addresses.REPLICATOR_RECREATE, new CacheEntityRequest("items"), JobAccepted.class);
    assertEquals("items", job.entity());
    // the old file keeps serving reads (and taking new batches) while the new one is built
    Path rebuildFile = cacheFile("items").resolveSibling("db.sqlite.rebuild");
    int readsDuringRebuild = 0;
    boolean appended = false;
    long lastNew = last;
    while (!swapped(job.jobId())) {
      boolean building = Files.exists(rebuildFile);
      CacheRowsReply r =
          p.request(
              Addresses.CACHE_GET_DOC, new CacheDocRequest("items", "d100"), CacheRowsReply.class);
      assertEquals(1, r.rows().size());
      if (building && Files.exists(rebuildFile)) {
        readsDuringRebuild++;
        if (!appended) {
          lastNew =
              p.append(
                      up("items", "new1", item("n", 1, 1.0, true, null, null)),
                      del("items", "d200"))
                  .lastId();
          appended = true;
        }
      }
      assertFalse(failed(job.jobId()), "rebuild failed: " + p.events);
    }
    assertTrue(readsDuringRebuild > 0, "reads were served from the old file during the rebuild");
    assertTrue(appended);
    awaitOffset(dataDir, lastNew);
    assertNotEquals(
        inodeBefore,
        Files.getAttribute(cacheFile("items"), "unix:ino"),
        "the rebuilt file was swapped in");
    assertFalse(Files.exists(rebuildFile));

    List<Map<String, Object>> expected = new ArrayList<>(before);
    expected.removeIf(r -> r.get("_doc_id").equals("d200"));
    long lastNewId = lastNew;
    await()
        .atMost(WAIT)
        .until(
            () -> {
              List<Map<String, Object>> now = all(cacheFile("items"), "items");
              if (now == null || now.size() != expected.size() + 1) {
                return false;
              }
              List<Map<String, Object>> withoutNew = new ArrayList<>(now);
              withoutNew.removeIf(r -> r.get("_doc_id").equals("new1"));
              return withoutNew.equals(expected);
            });
    assertEquals(
        Long.toString(lastNewId),
        sqlite(cacheFile("items"), "SELECT value FROM _emc_meta WHERE key = 'last_oplog_id'")
            .get(0)
            .get("value"));
    assertEquals(
        "wal", sqlite(cacheFile("items"), "PRAGMA journal_mode").get(0).get("journal_mode"));
    assertEquals(
        job.jobId(),
        stats().details().getJsonArray("recreate_jobs").getJsonObject(0).getString("job_id"));
  }

  boolean swapped(String jobId) {
    return jobEvent(jobId, "swapped");
  }

  boolean failed(String jobId) {
    return jobEvent(jobId, "failed");
  }

  boolean jobEvent(String jobId, String state) {
    return p.events.stream()
        .anyMatch(
            e ->
                "cache".equals(e.component())
                    && jobId.equals(e.data().getString("job_id"))
                    && state.equals(e.state()));
  }

  @Test
  void idleConnectionsAreClosedByTheJobAndReopenedOnDemand() {
    p.root.getJsonObject("cache").put("idle_expiry_ms", 300).put("cleanup_interval_ms", 100);
    p.startAll();
    p.createLive("items", ITEM_COLUMNS);
    long last = p.append(up("items", "a", item("a", 1, 1.0, true, null, null))).lastId();
    awaitOffset(dataDir, last);
    await().atMost(WAIT).until(() -> cacheHealth().details().getInteger("open_connections") == 0);
    JsonObject idleJob =
        cacheHealth().details().getJsonArray("jobs").stream()
            .map(o -> (JsonObject) o)
            .filter(j -> j.getString("name").equals("cache-idle-cleanup"))
            .findFirst()
            .orElseThrow();
    assertTrue(idleJob.getLong("run_count") > 0);

    CacheRowsReply r =
        p.request(Addresses.CACHE_GET_DOC, new CacheDocRequest("items", "a"), CacheRowsReply.class);
    assertEquals("a", r.rows().get(0).getString("t"));
    assertTrue(cacheHealth().details().getInteger("open_connections") >= 1, "reopened on demand");
    long next = p.append(up("items", "b", item("b", 2, 2.0, true, null, null))).lastId();
    awaitOffset(dataDir, next);
    assertEquals(2, count(cacheFile("items"), "items"));
  }

  HealthReply cacheHealth() {
    return p.request(Addresses.CACHE_HEALTH, new HealthRequest(), HealthReply.class);
  }

  @Test
  void queriesAreReadOnlyAndBounded() {
    p.startAll();
    p.createLive("items", ITEM_COLUMNS);
    List<OplogEntry> batch = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      batch.add(up("items", "d" + i, item("v" + i, i, i * 1.0, i % 2 == 0, null, null)));
    }
    awaitOffset(dataDir, p.append(batch).lastId());

    CacheRowsReply ok =
        p.request(
            Addresses.CACHE_QUERY,
            new CacheQueryRequest(
                "items",
                "SELECT _doc_id, b FROM items WHERE i < ? ORDER BY i",
                new JsonArray().add(3),
                100,
                1000),
            CacheRowsReply.class);
    assertEquals(List.of(true, false, true), ok.rows().stream().map(r -> r.getValue("b")).toList());
    CacheRowsReply limited =
        p.request(
            Addresses.CACHE_QUERY,
            new CacheQueryRequest("items", "SELECT * FROM items", null, 10, 1000),
            CacheRowsReply.class);
    assertEquals(10, limited.rows().size());
    assertTrue(limited.truncated());

    for (String sql :
        List.of(
            "INSERT INTO items(_doc_id) VALUES ('x')",
            "ATTACH DATABASE '" + dataDir.resolve("x.db") + "' AS x",
            "PRAGMA query_only = 0",
            "PRAGMA writable_schema = 1",
            "SELECT 1; DELETE FROM items",
            "WITH a AS (SELECT 1) DELETE FROM items")) {
      ReplyException e =
          p.failure(Addresses.CACHE_QUERY, new CacheQueryRequest("items", sql, null, 10, 1000));
      assertEquals(ErrorCodes.FORBIDDEN, e.failureCode(), sql + ": " + e.getMessage());
    }
    assertTrue(
        p.failure(
                Addresses.CACHE_QUERY,
                new CacheQueryRequest("items", "SELECT 1; SELECT 2", null, 10, 1000))
            .getMessage()
            .contains("exactly one statement"));
    assertEquals(50, count(cacheFile("items"), "items"));
    assertEquals(
        ErrorCodes.NOT_FOUND,
        p.failure(
                Addresses.CACHE_QUERY, new CacheQueryRequest("nosuch", "SELECT 1", null, 10, 1000))
            .failureCode());
    assertEquals(
        ErrorCodes.BAD_REQUEST,
        p.failure(Addresses.CACHE_QUERY, new CacheQueryRequest("../x", "SELECT 1", null, 10, 1000))
            .failureCode());
    assertEquals(
        ErrorCodes.BAD_REQUEST,
        p.failure(Addresses.CACHE_INFO, new CacheEntityRequest("Bad-Name")).failureCode());
  }

  @Test
  void anotherProcessReadsTheFileWhileReplicationRuns() throws Exception {
    p.startAll();
    p.createLive("items", ITEM_COLUMNS);
    awaitOffset(
        dataDir, p.append(up("items", "seed", item("s", 0, 0.0, false, null, null))).lastId());

    AtomicReference<Throwable> readerError = new AtomicReference<>();
    AtomicInteger reads = new AtomicInteger();
    AtomicInteger maxSeen = new AtomicInteger();
    java.util.concurrent.atomic.AtomicBoolean done =
        new java.util.concurrent.atomic.AtomicBoolean();
    // a plain JDBC connection, as the sqlite3 shell or any program would open it
    Thread reader =
        new Thread(
            () -> {
              try (Connection c =
                      DriverManager.getConnection(
                          "jdbc:sqlite:" + cacheFile("items").toAbsolutePath());
                  Statement st = c.createStatement()) {
                while (!done.get()) {
                  try (ResultSet rs =
                      st.executeQuery("SELECT count(*), max(_oplog_id) FROM items")) {
                    rs.next();
                    int n = rs.getInt(1);
                    if (n < maxSeen.get()) {
                      throw new AssertionError(
                          "count went back from " + maxSeen.get() + " to " + n);
                    }
                    maxSeen.set(n);
                    reads.incrementAndGet();
                  }
                }
              } catch (Throwable t) {
                readerError.set(t);
              }
            });
    reader.start();
    long last = 0;
    for (int b = 0; b < 15; b++) {
      List<OplogEntry> batch = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        batch.add(up("items", "b" + b + "-" + i, item("v", i, 1.0, true, null, null)));
      }
      last = p.append(batch).lastId();
    }
    awaitOffset(dataDir, last);
    await().atMost(WAIT).until(() -> maxSeen.get() == 3001 || readerError.get() != null);
    done.set(true);
    reader.join();
    assertNull(readerError.get());
    assertTrue(reads.get() > 1);
  }

  @Test
  void progressAndLagArePublishedAndTheLoopRecoversAfterErrors() {
    p.startAll();
    p.createLive("items", ITEM_COLUMNS);
    awaitOffset(dataDir, p.append(up("items", "a", item("a", 1, 1.0, true, null, null))).lastId());
    await()
        .atMost(WAIT)
        .until(
            () ->
                progress("items")
                    .anyMatch(
                        e ->
                            e.data().getLong("lag_rows") == 0
                                && e.data().getLong("last_applied_id") > 0));

    // the cache-db manager goes away: applies fail, the replicator backs off and lags
    p.stopCache();
    long last =
        p.append(
                up("items", "b", item("b", 2, 2.0, true, null, null)),
                up("items", "c", item("c", 3, 3.0, true, null, null)))
            .lastId();
    await()
        .atMost(WAIT)
        .until(
            () ->
                progress("items")
                    .anyMatch(
                        e ->
                            e.data().getLong("lag_rows") >= 2
                                && e.data().getDouble("lag_seconds") > 0.2));
    await()
        .atMost(WAIT)
        .until(
            () ->
                p.events.stream()
                    .anyMatch(
                        e ->
                            StatusEvent.TYPE_ERROR.equals(e.type())
                                && "replicator".equals(e.component())
                                && e.data().getInteger("consecutive_errors") >= 2));
    assertTrue(
        p.events.stream()
            .anyMatch(
                e ->
                    StatusEvent.TYPE_COMPONENT.equals(e.type())
                        && "replicator".equals(e.component())
                        && "error".equals(e.state())));
    HealthReply failing = stats();
    assertFalse(failing.ok());
    assertTrue(failing.details().getInteger("consecutive_errors") >= 1);
    assertTrue(
        failing.details().getJsonObject("entities").getJsonObject("items").getLong("lag_rows")
            >= 2);

    p.startCache();
    awaitOffset(dataDir, last);
    await()
        .atMost(WAIT)
        .until(
            () ->
                progress("items")
                    .anyMatch(
                        e ->
                            e.data().getLong("lag_rows") == 0
                                && e.data().getLong("last_applied_id") == last));
    HealthReply healthy = stats();
    assertTrue(healthy.ok());
    assertEquals(0, healthy.details().getInteger("consecutive_errors"));
    assertEquals(last, healthy.details().getLong("offset"));
    assertEquals(last, healthy.details().getLong("head_id"));
    JsonObject e = healthy.details().getJsonObject("entities").getJsonObject("items");
    assertEquals(0.0, e.getDouble("lag_seconds"));
    assertEquals("live", e.getString("entity_status"));
    assertEquals(3, count(cacheFile("items"), "items"));
  }

  java.util.stream.Stream<StatusEvent> progress(String entity) {
    return p.events.stream()
        .filter(
            e ->
                StatusEvent.TYPE_PROGRESS.equals(e.type())
                    && "replicator".equals(e.component())
                    && entity.equals(e.entity())
                    && "node-a".equals(e.data().getString("node")));
  }
}
