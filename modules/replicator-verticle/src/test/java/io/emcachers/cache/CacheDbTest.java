package io.emcachers.cache;

import static io.emcachers.cache.CacheFixtures.allTypes;
import static io.emcachers.cache.CacheFixtures.create;
import static io.emcachers.cache.CacheFixtures.delete;
import static io.emcachers.cache.CacheFixtures.plain;
import static io.emcachers.cache.CacheFixtures.rows;
import static io.emcachers.cache.CacheFixtures.upsert;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.model.Column;
import io.emcachers.core.model.DataType;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.Oplog;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SQLite side alone: layout, value mapping, transactions, replay, reads, idle close, outside
 * readers.
 */
@Timeout(60)
class CacheDbTest {

  @TempDir Path dataDir;
  CacheRegistry registry;
  final Entity items = allTypes("items");

  @BeforeEach
  void setUp() throws Exception {
    registry = new CacheRegistry(dataDir.resolve("dbs"));
    registry.scan();
    create(registry, items);
  }

  Path file() {
    return dataDir.resolve("dbs/items/db.sqlite");
  }

  static JsonObject doc(String t, Object i, Object n, Object b, Object j, Object a) {
    return new JsonObject().put("t", t).put("i", i).put("n", n).put("b", b).put("j", j).put("a", a);
  }

  @Test
  void layoutIsTheDocumentedOne() {
    assertTrue(Files.exists(file()));
    List<Map<String, Object>> cols =
        rows(file(), "SELECT name, type, pk FROM pragma_table_info('items') ORDER BY cid");
    assertEquals(
        List.of("_doc_id", "t", "i", "n", "b", "j", "a", "_oplog_id"),
        cols.stream().map(r -> r.get("name")).toList());
    assertEquals(
        List.of("TEXT", "TEXT", "INTEGER", "REAL", "INTEGER", "TEXT", "", "INTEGER"),
        cols.stream().map(r -> r.get("type")).toList());
    assertEquals(1, cols.get(0).get("pk"));
    Map<String, Object> meta = new java.util.HashMap<>();
    rows(file(), "SELECT key, value FROM _emc_meta")
        .forEach(r -> meta.put((String) r.get("key"), r.get("value")));
    assertEquals("0", meta.get("last_oplog_id"));
    assertEquals(items.shape().hash(), meta.get("shape_hash"));
    assertEquals("items", meta.get("entity"));
    assertEquals("items@" + items.createdAt(), meta.get("incarnation"));
    assertEquals(CacheSchema.DOC_ID_RULE, meta.get("doc_id_rule"));
    assertEquals("wal", rows(file(), "PRAGMA journal_mode").get(0).get("journal_mode"));
  }

  @Test
  void upsertsAndDeletesWithTypedValues() throws Exception {
    CacheDb.ApplyOutcome out =
        registry.apply(
            items,
            List.of(
                upsert(
                    1,
                    "items",
                    "d1",
                    doc(
                        "hello",
                        42,
                        1.5,
                        true,
                        new JsonObject().put("k", new JsonArray().add(1)),
                        "s")),
                upsert(2, "items", "d2", doc("x", 7L, 3, false, new JsonArray().add("a"), 12)),
                upsert(
                    3,
                    "items",
                    "d3",
                    doc(null, null, null, null, null, new JsonObject().put("o", 1))),
                upsert(4, "items", "d4", doc("y", 1, 2.25, true, "plain", 2.5)),
                upsert(5, "items", "d4", doc("y2", 2, 2.5, false, 5, true)),
                delete(6, "items", "d2")));
    assertEquals(new CacheDb.ApplyOutcome(6, 6, 0, 0), out);

    List<Map<String, Object>> r =
        rows(
            file(),
            "SELECT _doc_id, t, typeof(t) tt, i, typeof(i) ti, n, typeof(n) tn, b, typeof(b) tb, j, typeof(j) tj, a, typeof(a) ta, _oplog_id FROM items ORDER BY _doc_id");
    assertEquals(List.of("d1", "d3", "d4"), r.stream().map(m -> m.get("_doc_id")).toList());
    Map<String, Object> d1 = r.get(0);
    assertEquals("hello", d1.get("t"));
    assertEquals("text", d1.get("tt"));
    assertEquals(42, ((Number) d1.get("i")).intValue());
    assertEquals("integer", d1.get("ti"));
    assertEquals(1.5, ((Number) d1.get("n")).doubleValue());
    assertEquals("real", d1.get("tn"));
    assertEquals(1, ((Number) d1.get("b")).intValue());
    assertEquals("integer", d1.get("tb"));
    assertEquals("{\"k\":[1]}", d1.get("j"));
    assertEquals("text", d1.get("tj"));
    assertEquals("s", d1.get("a"));
    assertEquals(1, ((Number) d1.get("_oplog_id")).intValue());
    Map<String, Object> d3 = r.get(1);
    assertEquals("null", d3.get("tt"));
    assertEquals("null", d3.get("ti"));
    assertEquals("null", d3.get("tj"));
    assertEquals("{\"o\":1}", d3.get("a"));
    assertEquals("text", d3.get("ta"));
    Map<String, Object> d4 = r.get(2);
    assertEquals("y2", d4.get("t"));
    assertEquals(0, ((Number) d4.get("b")).intValue());
    assertEquals("5", d4.get("j"));
    assertEquals(1, ((Number) d4.get("a")).intValue());
    assertEquals("integer", d4.get("ta"));
    assertEquals(5, ((Number) d4.get("_oplog_id")).intValue());
    assertEquals(
        "6",
        rows(file(), "SELECT value FROM _emc_meta WHERE key = 'last_oplog_id'")
            .get(0)
            .get("value"));

    // read back as JSON: Bool as true/false, JSONB parsed
    List<JsonObject> docs = registry.doc("items", "d1");
    assertEquals(1, docs.size());
    JsonObject j = docs.get(0);
    assertEquals(Boolean.TRUE, j.getValue("b"));
    assertEquals(new JsonObject().put("k", new JsonArray().add(1)), j.getValue("j"));
    assertEquals(42L, j.getValue("i"));
    assertEquals(1.5, j.getValue("n"));
    assertEquals(1L, j.getValue("_oplog_id"));
    assertEquals("d1", j.getValue("_doc_id"));
    assertEquals(Boolean.FALSE, registry.doc("items", "d4").get(0).getValue("b"));
    assertTrue(registry.doc("items", "d2").isEmpty());
  }

  @Test
  void valuesThatDoNotFitAreNullAndCounted() throws Exception {
    CacheDb.ApplyOutcome out =
        registry.apply(
            items,
            List.of(
                upsert(
                    1,
                    "items",
                    "d1",
                    doc(null, null, null, null, null, null)
                        .put("t", 5)
                        .put("i", "seven")
                        .put("n", "x")
                        .put("b", "yes")),
                upsert(2, "items", "d2", new JsonObject().put("i", 2.5))));
    assertEquals(5, out.nulled());
    assertEquals(2, out.applied());
    Map<String, Object> d1 =
        rows(
                file(),
                "SELECT typeof(t) tt, typeof(i) ti, typeof(n) tn, typeof(b) tb FROM items WHERE _doc_id = 'd1'")
            .get(0);
    assertEquals(Map.of("tt", "null", "ti", "null", "tn", "null", "tb", "null"), d1);
    // a whole-number double fits an Integer column
    registry.apply(items, List.of(upsert(3, "items", "d3", new JsonObject().put("i", 4.0))));
    assertEquals(
        "integer",
        rows(file(), "SELECT typeof(i) ti FROM items WHERE _doc_id = 'd3'").get(0).get("ti"));
  }

  @Test
  void replayOfAnAppliedBatchChangesNothing() throws Exception {
    List<Oplog> batch =
        List.of(
            upsert(10, "items", "a", doc("1", 1, 1.0, true, null, null)),
            upsert(11, "items", "b", doc("2", 2, 2.0, false, null, null)),
            delete(12, "items", "a"));
    registry.apply(items, batch);
    List<Map<String, Object>> before = rows(file(), "SELECT * FROM items ORDER BY _doc_id");
    CacheDb.ApplyOutcome again = registry.apply(items, batch);
    assertEquals(new CacheDb.ApplyOutcome(12, 0, 3, 0), again);
    assertEquals(before, rows(file(), "SELECT * FROM items ORDER BY _doc_id"));
    // an overlapping batch applies only the new rows
    CacheDb.ApplyOutcome overlap =
        registry.apply(
            items,
            List.of(batch.get(2), upsert(13, "items", "c", doc("3", 3, 3.0, true, null, null))));
    assertEquals(new CacheDb.ApplyOutcome(13, 1, 1, 0), overlap);
  }

  @Test
  void aFailedBatchLeavesNothingBehind() throws Exception {
    registry.apply(items, List.of(upsert(1, "items", "a", doc("1", 1, 1.0, true, null, null))));
    // the second row belongs to another entity: the whole batch is refused
    CacheException e =
        assertThrows(
            CacheException.class,
            () ->
                registry.apply(
                    items,
                    List.of(
                        upsert(2, "items", "b", doc("2", 2, 2.0, true, null, null)),
                        upsert(3, "other", "c", doc("3", 3, 3.0, true, null, null)))));
    assertEquals(ErrorCodes.BAD_REQUEST, CacheErrors.code(e.kind()));
    assertEquals(
        List.of("a"),
        rows(file(), "SELECT _doc_id FROM items").stream().map(m -> m.get("_doc_id")).toList());
    assertEquals(
        "1",
        rows(file(), "SELECT value FROM _emc_meta WHERE key = 'last_oplog_id'")
            .get(0)
            .get("value"));
  }

  @Test
  void shapeMismatchIsReportedAndOlderSnapshotsUseTheFileShape() throws Exception {
    Entity wider =
        CacheFixtures.entity(
            "items",
            2,
            new Column("t", DataType.Text, "t"),
            new Column("extra", DataType.Integer, "extra"));
    assertThrows(
        IdentityMismatchException.class,
        () -> registry.apply(wider, List.of(upsert(1, "items", "a", new JsonObject()))));
    Entity older = CacheFixtures.entity("items", 0, new Column("t", DataType.Text, "t"));
    assertEquals(
        1,
        registry
            .apply(older, List.of(upsert(1, "items", "a", new JsonObject().put("t", "x"))))
            .applied());
    assertEquals("x", registry.doc("items", "a").get(0).getString("t"));
  }

  @Test
  void missingCacheIsReported() {
    assertThrows(CacheMissingException.class, () -> registry.apply(allTypes("other"), List.of()));
    CacheException e = assertThrows(CacheException.class, () -> registry.doc("other", "x"));
    assertEquals(ErrorCodes.NOT_FOUND, CacheErrors.code(e.kind()));
    CacheException bad = assertThrows(CacheException.class, () -> registry.doc("../etc", "x"));
    assertEquals(ErrorCodes.BAD_REQUEST, CacheErrors.code(bad.kind()));
  }

  @Test
  void keysetPaging() throws Exception {
    List<Oplog> batch = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      batch.add(
          upsert(
              i + 1,
              "items",
              String.format("d%02d", i),
              doc("v" + i, i, i * 1.0, i % 2 == 0, null, null)));
    }
    registry.apply(items, batch);
    List<String> seen = new ArrayList<>();
    String after = null;
    int pages = 0;
    while (true) {
      RowJson.Rows page = registry.page("items", after, 10);
      page.rows().forEach(r -> seen.add(r.getString("_doc_id")));
      pages++;
      if (!page.truncated()) {
        break;
      }
      after = page.rows().get(page.rows().size() - 1).getString("_doc_id");
    }
    assertEquals(3, pages);
    assertEquals(batch.stream().map(Oplog::docId).toList(), seen);
  }

  @Test
  void readOnlyQueries() throws Exception {
    List<Oplog> batch = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      batch.add(
          upsert(
              i + 1,
              "items",
              "d" + i,
              doc("v" + i, i, i * 0.5, i % 2 == 0, new JsonObject().put("n", i), null)));
    }
    registry.apply(items, batch);

    RowJson.Rows r =
        registry.query(
            "items",
            "SELECT _doc_id, b, j, i FROM items WHERE i >= ? AND t <> ? ORDER BY i",
            new JsonArray().add(10).add("v11"),
            100,
            5000);
    assertEquals(19, r.rows().size());
    assertFalse(r.truncated());
    assertEquals(Boolean.TRUE, r.rows().get(0).getValue("b"));
    assertEquals(new JsonObject().put("n", 10), r.rows().get(0).getValue("j"));

    RowJson.Rows limited = registry.query("items", "SELECT * FROM items", new JsonArray(), 5, 5000);
    assertEquals(5, limited.rows().size());
    assertTrue(limited.truncated());

    RowJson.Rows cte =
        registry.query(
            "items",
            "WITH x AS (SELECT count(*) AS c FROM items) SELECT c FROM x; -- done",
            new JsonArray(),
            5,
            5000);
    assertEquals(30L, cte.rows().get(0).getValue("c"));

    for (String sql :
        List.of(
            "INSERT INTO items(_doc_id) VALUES ('x')",
            "UPDATE items SET t = 'x'",
            "DELETE FROM items",
            "ATTACH DATABASE '" + dataDir.resolve("evil.sqlite") + "' AS evil",
            "DETACH DATABASE main",
            "PRAGMA query_only = 0",
            "PRAGMA journal_mode = DELETE",
            "SELECT 1; DELETE FROM items",
            "SELECT 1; SELECT 2",
            "WITH x AS (SELECT 1) DELETE FROM items",
            "WITH x AS (SELECT 1) INSERT INTO items(_doc_id) SELECT 'y' FROM x RETURNING *",
            "CREATE TABLE t(x)",
            "VACUUM")) {
      CacheException e =
          assertThrows(
              CacheException.class,
              () -> registry.query("items", sql, new JsonArray(), 10, 5000),
              sql);
      assertEquals(ErrorCodes.FORBIDDEN, CacheErrors.code(e.kind()), sql + " -> " + e.getMessage());
    }
    assertFalse(Files.exists(dataDir.resolve("evil.sqlite")));
    assertEquals(30, rows(file(), "SELECT count(*) c FROM items").get(0).get("c"));
    // a ';' inside a literal or comment is not a second statement
    assertEquals(
        1,
        registry
            .query("items", "SELECT ';' AS s /* ; */ -- ;\n", new JsonArray(), 10, 5000)
            .rows()
            .size());

    CacheException wrongParams =
        assertThrows(
            CacheException.class,
            () ->
                registry.query(
                    "items", "SELECT * FROM items WHERE i = ?", new JsonArray(), 10, 5000));
    assertEquals(ErrorCodes.BAD_REQUEST, CacheErrors.code(wrongParams.kind()));
    CacheException syntax =
        assertThrows(
            CacheException.class,
            () -> registry.query("items", "SELECT FROM WHERE", new JsonArray(), 10, 5000));
    assertEquals(ErrorCodes.BAD_REQUEST, CacheErrors.code(syntax.kind()));
  }

  @Test
  void aRunawayQueryHitsItsTimeLimit() {
    long start = System.nanoTime();
    CacheException e =
        assertThrows(
            CacheException.class,
            () ->
                registry.query(
                    "items",
                    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
                    new JsonArray(),
                    10,
                    200));
    assertEquals(ErrorCodes.TIMEOUT, CacheErrors.code(e.kind()), e.getMessage());
    assertTrue(System.nanoTime() - start < 10_000_000_000L);
    // the connection still works afterwards
    assertEquals(1, assertDoesNotThrowQuery().rows().size());
  }

  private RowJson.Rows assertDoesNotThrowQuery() {
    try {
      return registry.query("items", "SELECT 1 AS one", new JsonArray(), 10, 1000);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void idleConnectionsAreClosedAndReopenedOnDemand() throws Exception {
    registry.apply(items, List.of(upsert(1, "items", "a", doc("1", 1, 1.0, true, null, null))));
    registry.doc("items", "a");
    assertEquals(2, registry.openConnections());
    assertEquals(0, registry.closeIdle(60_000), "recently used caches stay open");
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(() -> registry.closeIdle(50) == 1);
    assertEquals(0, registry.openConnections());
    assertEquals("1", registry.doc("items", "a").get(0).getString("t"));
    assertEquals(1, registry.openConnections());
    registry.apply(items, List.of(upsert(2, "items", "b", doc("2", 2, 2.0, true, null, null))));
    assertEquals(2, registry.openConnections());
  }

  @Test
  void dropRemovesTheDirectory() throws Exception {
    registry.apply(items, List.of(upsert(1, "items", "a", doc("1", 1, 1.0, true, null, null))));
    registry.doc("items", "a");
    assertTrue(registry.drop("items"));
    assertFalse(Files.exists(dataDir.resolve("dbs/items")));
    assertEquals(0, registry.openConnections());
    assertFalse(registry.exists("items"));
    assertThrows(CacheMissingException.class, () -> registry.apply(items, List.of()));
  }

  @Test
  void anotherProcessCanReadWhileBatchesCommit() throws Exception {
    // a plain JDBC connection, as sqlite3 or another program would open it, holds a read
    // transaction open while the writer keeps committing: neither blocks the other
    try (Connection outside = plain(file())) {
      outside.setAutoCommit(false);
      long snapshot;
      try (Statement st = outside.createStatement();
          ResultSet rs = st.executeQuery("SELECT count(*) FROM items")) {
        rs.next();
        snapshot = rs.getLong(1);
      }
      AtomicReference<Throwable> writerError = new AtomicReference<>();
      Thread writer =
          new Thread(
              () -> {
                try {
                  long id = 1;
                  for (int b = 0; b < 20; b++) {
                    List<Oplog> batch = new ArrayList<>();
                    for (int i = 0; i < 100; i++, id++) {
                      batch.add(
                          upsert(id, "items", "d" + id, doc("v", (int) id, 1.0, true, null, null)));
                    }
                    registry.apply(items, batch);
                  }
                } catch (Throwable t) {
                  writerError.set(t);
                }
              });
      writer.start();
      long last = snapshot;
      while (writer.isAlive()) {
        // inside the open read transaction the reader keeps its snapshot
        try (Statement st = outside.createStatement();
            ResultSet rs = st.executeQuery("SELECT count(*) FROM items")) {
          rs.next();
          assertEquals(snapshot, rs.getLong(1));
        }
      }
      writer.join();
      assertNull(writerError.get());
      outside.commit(); // end the read transaction: the next one sees every committed batch
      try (Statement st = outside.createStatement();
          ResultSet rs = st.executeQuery("SELECT count(*) FROM items")) {
        rs.next();
        last = rs.getLong(1);
      }
      assertEquals(2000, last);
      try (Statement st = outside.createStatement();
          ResultSet rs =
              st.executeQuery("SELECT value FROM _emc_meta WHERE key = 'last_oplog_id'")) {
        rs.next();
        assertEquals("2000", rs.getString(1));
      }
    }
  }
}
