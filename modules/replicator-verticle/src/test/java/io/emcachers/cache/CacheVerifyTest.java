package io.emcachers.cache;

import static io.emcachers.cache.CacheFixtures.allTypes;
import static io.emcachers.cache.CacheFixtures.create;
import static io.emcachers.cache.CacheFixtures.delete;
import static io.emcachers.cache.CacheFixtures.plain;
import static io.emcachers.cache.CacheFixtures.rows;
import static io.emcachers.cache.CacheFixtures.upsert;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.BusMessage;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.CacheApplyReply;
import io.emcachers.core.messages.CacheApplyRequest;
import io.emcachers.core.messages.CacheCompareReply;
import io.emcachers.core.messages.CacheCompareRequest;
import io.emcachers.core.messages.CacheCompareRequest.SourceRow;
import io.emcachers.core.messages.CacheDigestReply;
import io.emcachers.core.messages.CacheDigestRequest;
import io.emcachers.core.messages.CacheIdsReply;
import io.emcachers.core.messages.CacheIdsRequest;
import io.emcachers.core.messages.CacheLocalRepairReply;
import io.emcachers.core.messages.CacheLocalRepairRequest;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.Oplog;
import io.emcachers.core.verify.VerifyHash;
import io.emcachers.testsupport.Await;
import io.emcachers.testsupport.TestRoots;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The verification addresses of the cache-db manager (issue 11) on real SQLite files and the real
 * event bus: compare with the write mapping, digest, ids by bucket, local repair, bounds, unknown
 * caches.
 */
@Timeout(60)
class CacheVerifyTest {

  static final int DOCS = 300;

  @TempDir Path dataDir;
  final Entity items = allTypes("items");
  Vertx vertx;

  static JsonObject doc(String t, Object i, Object n, Object b, Object j, Object a) {
    return new JsonObject().put("t", t).put("i", i).put("n", n).put("b", b).put("j", j).put("a", a);
  }

  static String docId(int i) {
    return String.format("doc-%03d", i);
  }

  static JsonObject plainDoc(int i) {
    return doc("t" + i, i, i + 0.5, i % 2 == 0, new JsonObject().put("k", i), "a" + i);
  }

  /**
   * Rows 1..DOCS: doc-000..doc-299 (plain values); then 301..306 the typed rows of d1..d5 and a
   * delete of d5; the last batch goes through emc.cache.apply, so the verticle's writer is open.
   */
  @BeforeEach
  void setUp() throws Exception {
    CacheRegistry registry = new CacheRegistry(dataDir.resolve("dbs"));
    registry.scan();
    create(registry, items);
    List<Oplog> seed = new ArrayList<>();
    for (int i = 0; i < DOCS; i++) {
      seed.add(upsert(i + 1, "items", docId(i), plainDoc(i)));
    }
    registry.apply(items, seed);
    registry.closeAll();

    vertx = TestVertx.create();
    JsonObject root =
        TestRoots.node("node-v")
            .build()
            .put("data_dir", dataDir.toString())
            .put(
                "cache",
                new JsonObject()
                    .put("idle_expiry_ms", 600_000)
                    .put("cleanup_interval_ms", 600_000));
    Await.await(
        vertx.deployVerticle(new CacheDbVerticle(), new DeploymentOptions().setConfig(root)));
    CacheApplyReply applied =
        request(
            Addresses.CACHE_APPLY,
            new CacheApplyRequest(
                items,
                List.of(
                    upsert(
                        301,
                        "items",
                        "d1",
                        doc("hello", 42, 1.5, true, new JsonObject().put("k", 1), "s")),
                    upsert(302, "items", "d2", doc("x", 7L, 3, false, new JsonArray().add(1), 12)),
                    upsert(303, "items", "d3", doc("y", null, null, null, null, null)),
                    upsert(304, "items", "d4", doc("z", 1, 2.0, true, "plain", 2.5)),
                    upsert(305, "items", "d5", doc("gone", 5, 5, true, 5, 5)),
                    delete(306, "items", "d5"))),
            CacheApplyReply.class);
    assertEquals(306, applied.lastOplogId());
  }

  @AfterEach
  void tearDown() {
    if (vertx != null) {
      Await.await(vertx.close());
    }
  }

  Path file() {
    return dataDir.resolve("dbs/items/db.sqlite");
  }

  <R> R request(String address, BusMessage body, Class<R> replyType) {
    return Await.await(Bus.request(vertx.eventBus(), address, body, replyType));
  }

  int failure(String address, BusMessage body) {
    ReplyException e =
        assertThrows(
            ReplyException.class,
            () -> Await.await(vertx.eventBus().request(address, body)),
            address);
    return e.failureCode();
  }

  void sql(String... statements) throws Exception {
    try (Connection c = plain(file());
        Statement st = c.createStatement()) {
      for (String s : statements) {
        st.execute(s);
      }
    }
  }

  CacheCompareReply compare(SourceRow... rows) {
    return request(
        Addresses.CACHE_VERIFY_COMPARE,
        new CacheCompareRequest("items", List.of(rows)),
        CacheCompareReply.class);
  }

  // ---------------------------------------------------------------- compare

  @Test
  void compareUsesTheWriteMapping() {
    CacheCompareReply reply =
        compare(
            // the same data as applied
            new SourceRow("d1", doc("hello", 42, 1.5, true, new JsonObject().put("k", 1), "s")),
            // integral double in the Integer column, integer in the Number column: stored alike
            new SourceRow("d2", doc("x", 7.0, 3.0, false, new JsonArray().add(1), 12L)),
            // missing columns and a value that does not fit its column are NULL either way
            new SourceRow("d3", new JsonObject().put("t", "y").put("i", "not a number")),
            // one column differs
            new SourceRow("doc-007", plainDoc(7).put("t", "changed")),
            // Any keeps the storage class: 2.5 real vs "2.5" text
            new SourceRow("d4", doc("z", 1, 2, true, "plain", "2.5")),
            new SourceRow("doc-008", plainDoc(8)),
            // deleted / never there
            new SourceRow("d5", doc("gone", 5, 5, true, 5, 5)),
            new SourceRow("nope", new JsonObject()));
    assertEquals(306, reply.lastOplogId());
    assertEquals(4, reply.matched());
    assertEquals(List.of("d5", "nope"), reply.missing());
    assertEquals(List.of("doc-007", "d4"), reply.different());
  }

  @Test
  void compareSeesOutsideDamage() throws Exception {
    sql(
        "UPDATE items SET n = 2.75 WHERE _doc_id = 'doc-002'",
        "UPDATE items SET b = 2 WHERE _doc_id = 'doc-004'");
    CacheCompareReply reply =
        compare(
            new SourceRow("doc-002", plainDoc(2)),
            new SourceRow("doc-003", plainDoc(3)),
            new SourceRow("doc-004", plainDoc(4)));
    assertEquals(1, reply.matched());
    assertEquals(List.of("doc-002", "doc-004"), reply.different());
  }

  @Test
  void valuesSqliteConvertsOnTheWayInStillMatch() {
    // SQLite stores a REAL -0.0 as 0.0 and a lone surrogate as '?': such a row differs from the
    // bound values and is settled by the scratch-table write, so the same source still matches
    JsonObject odd = doc("a\uD800b", 1, -0.0, true, new JsonObject(), -0.0);
    request(
        Addresses.CACHE_APPLY,
        new CacheApplyRequest(items, List.of(upsert(307, "items", "odd", odd))),
        CacheApplyReply.class);
    CacheCompareReply reply =
        compare(
            new SourceRow("odd", odd.copy()), new SourceRow("doc-009", plainDoc(9).put("a", -0.0)));
    assertEquals(1, reply.matched());
    assertEquals(List.of("doc-009"), reply.different());
  }

  @Test
  void aPageOfNeighbouringIdsComparesExactlyThroughOneRangeRead() throws Exception {
    // ids far apart in the cache's order (a range would hold most of the table) and ids SQLite
    // orders differently from Java (a supplementary character, a lone surrogate stored as '?')
    JsonObject astral = plainDoc(1000);
    JsonObject lone = plainDoc(1001);
    request(
        Addresses.CACHE_APPLY,
        new CacheApplyRequest(
            items,
            List.of(
                upsert(307, "items", "doc-\uD83D\uDE00", astral),
                upsert(308, "items", "doc-\uD800", lone))),
        CacheApplyReply.class);
    sql(
        "DELETE FROM items WHERE _doc_id IN ('doc-050', 'doc-099')",
        "UPDATE items SET t = 'edited' WHERE _doc_id = 'doc-075'");
    List<SourceRow> page = new ArrayList<>();
    for (int i = 40; i < 110; i++) {
      page.add(new SourceRow(docId(i), plainDoc(i)));
    }
    page.add(new SourceRow("doc-\uD83D\uDE00", astral.copy()));
    page.add(new SourceRow("doc-\uD800", lone.copy()));
    page.add(new SourceRow("doc-0995", plainDoc(3))); // between doc-099 and doc-100, never there
    CacheCompareReply alone =
        compare(
            new SourceRow("doc-\uD800", lone.copy()),
            new SourceRow("doc-\uD83D\uDE00", astral.copy()));
    assertEquals(2, alone.matched(), () -> alone.missing().toString().replace('\uD800', 'X'));
    CacheCompareReply near = compare(page.toArray(SourceRow[]::new));
    assertEquals(70 - 3 + 2, near.matched(), near::toString);
    assertEquals(List.of("doc-050", "doc-099", "doc-0995"), near.missing());
    assertEquals(List.of("doc-075"), near.different());

    List<SourceRow> spread = new ArrayList<>();
    for (int i = 1; i < DOCS; i += 15) {
      spread.add(new SourceRow(docId(i), plainDoc(i)));
    }
    CacheCompareReply far = compare(spread.toArray(SourceRow[]::new));
    assertEquals(spread.size(), far.matched(), far::toString);
    assertEquals(List.of(), far.missing());
    assertEquals(List.of(), far.different());
  }

  // ---------------------------------------------------------------- digest and ids

  static List<String> allIds() {
    List<String> ids = new ArrayList<>();
    IntStream.range(0, DOCS).forEach(i -> ids.add(docId(i)));
    ids.addAll(List.of("d1", "d2", "d3", "d4"));
    Collections.sort(ids); // ASCII: Java order = SQLite's BINARY order
    return ids;
  }

  @Test
  void digestMatchesOneComputedFromTheIds() {
    int buckets = 16;
    long[] counts = new long[buckets];
    long[] sums = new long[buckets];
    for (String id : allIds()) {
      int b = VerifyHash.bucket(id, buckets);
      counts[b]++;
      sums[b] += VerifyHash.hash(id);
    }
    CacheDigestReply reply =
        request(
            Addresses.CACHE_VERIFY_DIGEST,
            new CacheDigestRequest("items", buckets),
            CacheDigestReply.class);
    assertEquals(306, reply.lastOplogId());
    assertEquals(java.util.Arrays.stream(counts).boxed().toList(), reply.counts());
    assertEquals(java.util.Arrays.stream(sums).boxed().toList(), reply.digests());
    assertEquals(DOCS + 4, reply.counts().stream().mapToLong(Long::longValue).sum());

    CacheDigestReply one =
        request(
            Addresses.CACHE_VERIFY_DIGEST,
            new CacheDigestRequest("items", 1),
            CacheDigestReply.class);
    assertEquals(List.of((long) DOCS + 4), one.counts());
    assertEquals(List.of(java.util.Arrays.stream(sums).sum()), one.digests());
  }

  @Test
  void idsPageThroughTheChosenBuckets() {
    int buckets = 8;
    Set<Integer> chosen = Set.of(1, 5);
    List<String> expected =
        allIds().stream().filter(id -> chosen.contains(VerifyHash.bucket(id, buckets))).toList();
    assertTrue(expected.size() > 20, "enough ids: " + expected.size());
    List<String> got = new ArrayList<>();
    String after = null;
    int pages = 0;
    do {
      CacheIdsReply page =
          request(
              Addresses.CACHE_VERIFY_IDS,
              new CacheIdsRequest("items", buckets, List.of(5, 1), after, 7),
              CacheIdsReply.class);
      assertTrue(page.docIds().size() <= 7);
      got.addAll(page.docIds());
      after = page.nextAfter();
      pages++;
    } while (after != null);
    assertEquals(expected, got);
    assertEquals((expected.size() + 6) / 7, pages, "no empty page at the end");

    // every bucket, one page: the whole table in doc id order
    CacheIdsReply all =
        request(
            Addresses.CACHE_VERIFY_IDS,
            new CacheIdsRequest("items", 1, List.of(0), null, 5000),
            CacheIdsReply.class);
    assertEquals(allIds(), all.docIds());
    assertNull(all.nextAfter());
  }

  @Test
  void idsStopAtTheScanBudgetWithANextAfter() throws Exception {
    CacheRegistry registry = new CacheRegistry(dataDir.resolve("dbs"));
    registry.scan();
    CacheScans verify = new CacheScans(registry);
    BitSet wanted = new BitSet();
    wanted.set(3);
    List<String> expected = allIds().stream().filter(id -> VerifyHash.bucket(id, 4) == 3).toList();
    List<String> got = new ArrayList<>();
    String after = null;
    int pages = 0;
    do {
      CacheIdsReply page = verify.ids("items", 4, wanted, after, 1000, 10);
      got.addAll(page.docIds());
      after = page.nextAfter();
      pages++;
    } while (after != null);
    assertEquals(expected, got);
    assertEquals((allIds().size() + 9) / 10, pages);
    registry.closeAll();
  }

  // ---------------------------------------------------------------- local repair

  @Test
  void localRepairRestoresAppliedRowsOnly() throws Exception {
    // damage: an edited row, a deleted row, a deleted doc that came back
    sql(
        "UPDATE items SET t = 'broken', i = NULL WHERE _doc_id = 'doc-010'",
        "DELETE FROM items WHERE _doc_id = 'doc-011'",
        "INSERT INTO items (_doc_id, t, _oplog_id) VALUES ('d5', 'zombie', 305)");
    CacheCompareReply before =
        compare(new SourceRow("doc-010", plainDoc(10)), new SourceRow("doc-011", plainDoc(11)));
    assertEquals(List.of("doc-010"), before.different());
    assertEquals(List.of("doc-011"), before.missing());
    CacheLocalRepairReply reply =
        request(
            Addresses.CACHE_VERIFY_REPAIR_LOCAL,
            new CacheLocalRepairRequest(
                "items",
                List.of(
                    upsert(11, "items", "doc-010", plainDoc(10)),
                    upsert(12, "items", "doc-011", plainDoc(11)),
                    delete(306, "items", "d5"),
                    // not applied on this node yet: the normal apply brings it
                    upsert(400, "items", "doc-012", doc("future", 0, 0, false, 0, 0)),
                    // the cached row is newer (written by row 304)
                    upsert(250, "items", "d4", doc("older", 0, 0, false, 0, 0)))),
            CacheLocalRepairReply.class);
    assertEquals(new CacheLocalRepairReply(3, 2), reply);

    CacheCompareReply after =
        compare(
            new SourceRow("doc-010", plainDoc(10)),
            new SourceRow("doc-011", plainDoc(11)),
            new SourceRow("doc-012", plainDoc(12)),
            new SourceRow("d4", doc("z", 1, 2.0, true, "plain", 2.5)),
            new SourceRow("d5", new JsonObject()));
    assertEquals(4, after.matched());
    assertEquals(List.of("d5"), after.missing());
    assertEquals(List.of(), after.different());
    List<Map<String, Object>> r =
        rows(
            file(),
            "SELECT _doc_id, _oplog_id FROM items WHERE _doc_id IN ('doc-010', 'doc-011') ORDER BY _doc_id");
    assertEquals(11, ((Number) r.get(0).get("_oplog_id")).intValue());
    assertEquals(12, ((Number) r.get(1).get("_oplog_id")).intValue());
    assertEquals(
        "306",
        rows(file(), "SELECT value FROM _emc_meta WHERE key = 'last_oplog_id'")
            .get(0)
            .get("value"));

    // the verticle's writer still applies after the repair
    CacheApplyReply next =
        request(
            Addresses.CACHE_APPLY,
            new CacheApplyRequest(items, List.of(upsert(307, "items", "doc-012", plainDoc(99)))),
            CacheApplyReply.class);
    assertEquals(new CacheApplyReply("items", 307, 1, 0), next);
  }

  // ---------------------------------------------------------------- bounds and unknown caches

  @Test
  void boundsAreRefusedAsBadRequest() {
    List<SourceRow> tooMany = new ArrayList<>();
    List<Oplog> tooManyOplog = new ArrayList<>();
    for (int i = 0; i <= CacheVerifyHandlers.MAX_ROWS; i++) {
      tooMany.add(new SourceRow("x" + i, new JsonObject()));
      tooManyOplog.add(delete(i + 1, "items", "x" + i));
    }
    assertEquals(
        ErrorCodes.BAD_REQUEST,
        failure(Addresses.CACHE_VERIFY_COMPARE, new CacheCompareRequest("items", tooMany)));
    assertEquals(
        ErrorCodes.BAD_REQUEST,
        failure(
            Addresses.CACHE_VERIFY_COMPARE,
            new CacheCompareRequest(
                "items",
                List.of(new SourceRow("d1", null), new SourceRow("d1", new JsonObject())))));
    assertEquals(
        ErrorCodes.BAD_REQUEST,
        failure(Addresses.CACHE_VERIFY_DIGEST, new CacheDigestRequest("items", 65537)));
    assertEquals(
        ErrorCodes.BAD_REQUEST,
        failure(Addresses.CACHE_VERIFY_DIGEST, new CacheDigestRequest("items", 0)));
    assertEquals(
        ErrorCodes.BAD_REQUEST,
        failure(
            Addresses.CACHE_VERIFY_IDS, new CacheIdsRequest("items", 8, List.of(1), null, 5001)));
    assertEquals(
        ErrorCodes.BAD_REQUEST,
        failure(Addresses.CACHE_VERIFY_IDS, new CacheIdsRequest("items", 8, List.of(8), null, 10)));
    assertEquals(
        ErrorCodes.BAD_REQUEST,
        failure(
            Addresses.CACHE_VERIFY_REPAIR_LOCAL,
            new CacheLocalRepairRequest("items", tooManyOplog)));
    assertEquals(
        ErrorCodes.BAD_REQUEST,
        failure(
            Addresses.CACHE_VERIFY_REPAIR_LOCAL,
            new CacheLocalRepairRequest("items", List.of(delete(1, "orders", "x")))));
    assertEquals(
        ErrorCodes.BAD_REQUEST,
        failure(Addresses.CACHE_VERIFY_DIGEST, new CacheDigestRequest("bad name!", 4)));
    // the largest allowed digest is served
    assertEquals(
        65536,
        request(
                Addresses.CACHE_VERIFY_DIGEST,
                new CacheDigestRequest("items", 65536),
                CacheDigestReply.class)
            .counts()
            .size());
  }

  @Test
  void unknownEntityIsNotFound() {
    assertEquals(
        ErrorCodes.NOT_FOUND,
        failure(
            Addresses.CACHE_VERIFY_COMPARE,
            new CacheCompareRequest("ghost", List.of(new SourceRow("a", new JsonObject())))));
    assertEquals(
        ErrorCodes.NOT_FOUND,
        failure(Addresses.CACHE_VERIFY_DIGEST, new CacheDigestRequest("ghost", 4)));
    assertEquals(
        ErrorCodes.NOT_FOUND,
        failure(Addresses.CACHE_VERIFY_IDS, new CacheIdsRequest("ghost", 4, List.of(0), null, 10)));
    assertEquals(
        ErrorCodes.NOT_FOUND,
        failure(
            Addresses.CACHE_VERIFY_REPAIR_LOCAL,
            new CacheLocalRepairRequest("ghost", List.of(delete(1, "ghost", "a")))));
  }
}
