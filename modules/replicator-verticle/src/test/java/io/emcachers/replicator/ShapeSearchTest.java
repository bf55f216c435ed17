package io.emcachers.replicator;

import static io.emcachers.replicator.Pipeline.del;
import static io.emcachers.replicator.Pipeline.sqlite;
import static io.emcachers.replicator.Pipeline.up;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.CacheEntityRequest;
import io.emcachers.core.messages.CacheRowsReply;
import io.emcachers.core.messages.CacheSearchRequest;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.EntityUpsertRequest;
import io.emcachers.core.messages.JobAccepted;
import io.emcachers.devservices.DevPostgres;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Full-text search over {@code search} columns (issue 14) in real cache files: the FTS5 table is
 * written in the row's transaction, so a search finds new and changed text as soon as the row is
 * there and stops finding deleted rows; bm25 order, snippets, diacritics folding, bad queries.
 */
@Timeout(180)
class ShapeSearchTest {

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
    p.startAll();
    JsonObject def = Pipeline.definition("notes", "title:Text", "body:Text", "n:Integer");
    def.getJsonObject("shape").getJsonArray("columns").getJsonObject(0).put("search", true);
    def.getJsonObject("shape").getJsonArray("columns").getJsonObject(1).put("search", true);
    p.request(Addresses.ENTITIES_CREATE, new EntityUpsertRequest(def), EntityReply.class);
    p.setLive("notes");
  }

  @AfterEach
  void tearDown() {
    p.close();
  }

  Path file() {
    return dataDir.resolve("dbs/notes/db.sqlite");
  }

  static JsonObject note(String title, String body, int n) {
    return new JsonObject().put("title", title).put("body", body).put("n", n);
  }

  List<JsonObject> search(String q) {
    return p.request(
            Addresses.CACHE_SEARCH, new CacheSearchRequest("notes", q, 10), CacheRowsReply.class)
        .rows();
  }

  List<String> ids(String q) {
    return search(q).stream().map(r -> r.getString("_doc_id")).toList();
  }

  /** Waits until the file's row of {@code docId} has {@code n} (null: until it is gone). */
  void awaitRow(String docId, Integer n) {
    await()
        .atMost(WAIT)
        .until(
            () -> {
              List<Map<String, Object>> r =
                  sqlite(file(), "SELECT n FROM notes WHERE _doc_id = '" + docId + "'");
              if (r == null) {
                return false;
              }
              return n == null
                  ? r.isEmpty()
                  : !r.isEmpty() && n.equals(((Number) r.get(0).get("n")).intValue());
            });
  }

  @Test
  void searchFindsNewAndUpdatedTextAtOnceAndStopsFindingDeletedRows() {
    // built by the initial rebuild (bulk load, then the FTS table in one pass)
    p.append(
        up("notes", "a", note("Café au lait", "morning coffee with milk", 1)),
        up("notes", "b", note("Tea", "green tea, no coffee today", 1)),
        up("notes", "c", note("Coffee coffee coffee", "coffee", 1)));
    awaitRow("c", 1);
    List<JsonObject> coffee = search("coffee");
    assertEquals("c", coffee.get(0).getString("_doc_id"), "bm25: the most coffee first");
    assertEquals(Set.of("a", "b", "c"), Set.copyOf(ids("coffee")));
    assertTrue(coffee.get(0).getDouble("_rank") <= coffee.get(1).getDouble("_rank"));
    JsonObject a =
        coffee.stream().filter(r -> r.getString("_doc_id").equals("a")).findFirst().orElseThrow();
    assertEquals("morning <mark>coffee</mark> with milk", a.getString("_snippet"), a.encode());
    assertEquals("Café au lait", a.getString("title"));
    assertEquals(1L, a.getLong("n"), "rows come with their typed columns");
    assertEquals(List.of("a"), ids("cafe"), "remove_diacritics 2: cafe finds Café");
    assertEquals(List.of("a"), ids("CAFÉ"));
    assertEquals(List.of("a"), ids("title:lait"));
    assertEquals(List.of(), ids("body:lait"));

    // rows written by live applies: the search sees them as soon as the row is there
    p.append(up("notes", "d", note("Espresso", "a strong coffee shot", 1)));
    awaitRow("d", 1);
    assertEquals(List.of("d"), ids("espresso"));

    p.append(up("notes", "a", note("Hot chocolate", "no more milk", 2)));
    awaitRow("a", 2);
    assertEquals(List.of(), ids("cafe"), "the old text is gone from the index");
    assertEquals(List.of("a"), ids("chocolate"));
    assertEquals(List.of("a"), ids("milk"));

    p.append(del("notes", "c"));
    awaitRow("c", null);
    assertEquals(Set.of("d", "b"), Set.copyOf(ids("coffee")));

    // plain SQL over the documented layout
    List<Map<String, Object>> sql =
        sqlite(
            file(),
            "SELECT n._doc_id FROM notes_fts JOIN notes n ON n.rowid = notes_fts.rowid"
                + " WHERE notes_fts MATCH 'strong' ORDER BY bm25(notes_fts)");
    assertEquals(List.of("d"), sql.stream().map(r -> r.get("_doc_id")).toList());
    // the FTS index agrees with the rows after all of this
    assertEquals(
        0L,
        ((Number)
                sqlite(
                        file(),
                        "SELECT count(*) AS bad FROM (SELECT 1 FROM notes_fts WHERE notes_fts MATCH 'milk' EXCEPT SELECT 1 FROM notes WHERE body LIKE '%milk%')")
                    .get(0)
                    .get("bad"))
            .longValue());
    sqlite(file(), "INSERT INTO notes_fts(notes_fts, rank) VALUES ('integrity-check', 1)");

    // a recreate rebuilds the index with the rows
    p.request(Addresses.REPLICATOR_RECREATE, new CacheEntityRequest("notes"), JobAccepted.class);
    await()
        .atMost(WAIT)
        .ignoreExceptions()
        .until(
            () -> ids("coffee").equals(List.of("d", "b")) && ids("chocolate").equals(List.of("a")));
  }

  @Test
  void badQueriesAreBadRequestsNotServerErrors() {
    p.append(up("notes", "a", note("x", "y", 1)));
    awaitRow("a", 1);
    for (String q : List.of("\"unterminated", "a AND", "nosuchcolumn:x", "(", "NEAR(a b", "*")) {
      var e = p.failure(Addresses.CACHE_SEARCH, new CacheSearchRequest("notes", q, 10));
      assertEquals(ErrorCodes.BAD_REQUEST, e.failureCode(), q + ": " + e.getMessage());
      assertTrue(e.getMessage().startsWith("q is not a valid full-text query"), e.getMessage());
    }
    assertEquals(
        ErrorCodes.BAD_REQUEST,
        p.failure(Addresses.CACHE_SEARCH, new CacheSearchRequest("notes", " ", 10)).failureCode());
  }
}
