package io.emcachers.cache;

import static io.emcachers.cache.CacheFixtures.allTypes;
import static io.emcachers.cache.CacheFixtures.create;
import static io.emcachers.cache.CacheFixtures.plain;
import static io.emcachers.cache.CacheFixtures.rows;
import static io.emcachers.cache.CacheFixtures.upsert;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.emcachers.core.model.Entity;
import io.emcachers.core.model.Oplog;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The incarnation of the entity and the doc-id rule are part of a cache's identity, like its shape
 * (issue 9, item 9): a file of another incarnation, another rule, or of neither (made before they
 * were recorded) is refused for applies, so the manager rebuilds it from the oplog. Real SQLite
 * files.
 */
@Timeout(60)
class CacheIdentityTest {

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

  String meta(String key) {
    List<java.util.Map<String, Object>> r =
        rows(file(), "SELECT value FROM _emc_meta WHERE key = '" + key + "'");
    return r.isEmpty() ? null : (String) r.get(0).get("value");
  }

  static List<Oplog> one(long id) {
    return List.of(upsert(id, "items", "d" + id, new JsonObject().put("t", "x")));
  }

  /** The same name and shape, created again later: version + 1, a later created_at. */
  Entity reincarnated() {
    return new Entity(
        items.name(),
        items.shape(),
        items.status(),
        items.version() + 1,
        items.createdAt().plusMillis(1500),
        items.updatedAt());
  }

  void sql(String statement) throws Exception {
    registry.closeAll();
    try (Connection c = plain(file());
        Statement st = c.createStatement()) {
      st.executeUpdate(statement);
    }
  }

  @Test
  void theFileRecordsItsIncarnationAndDocIdRule() {
    assertEquals("items@" + items.createdAt(), meta("incarnation"));
    assertEquals("2", meta("doc_id_rule"));
  }

  @Test
  void anotherIncarnationOfTheSameShapeIsRefused() {
    assertDoesNotThrow(() -> registry.apply(items, one(1)));
    assertThrows(IdentityMismatchException.class, () -> registry.apply(reincarnated(), one(2)));
    assertEquals("1", meta("last_oplog_id"));
  }

  @Test
  void anOlderSnapshotOfAnotherIncarnationUsesTheFile() throws Exception {
    Entity stale =
        new Entity(
            items.name(),
            items.shape(),
            items.status(),
            items.version() - 1,
            items.createdAt().minusSeconds(60),
            items.updatedAt());
    assertDoesNotThrow(() -> registry.apply(stale, one(1)));
  }

  @Test
  void aFileWithoutIdentityKeysIsRefused() throws Exception {
    sql("DELETE FROM _emc_meta WHERE key IN ('incarnation', 'doc_id_rule')");
    assertThrows(IdentityMismatchException.class, () -> registry.apply(items, one(1)));
  }

  @Test
  void aFileOfAnotherDocIdRuleIsRefused() throws Exception {
    sql(
        "INSERT INTO _emc_meta (key, value) VALUES ('doc_id_rule', '1') ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    assertThrows(IdentityMismatchException.class, () -> registry.apply(items, one(1)));
  }
}
