package io.emcachers.cache;

import static io.emcachers.cache.CacheFixtures.allTypes;
import static io.emcachers.cache.CacheFixtures.create;
import static io.emcachers.cache.CacheFixtures.rows;
import static io.emcachers.cache.CacheFixtures.upsert;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.model.Entity;
import io.emcachers.core.model.Oplog;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Swapping a rebuilt file in never makes a cache go backwards (issue 9, item 8). Real SQLite files.
 */
@Timeout(60)
class CacheSwapTest {

  @TempDir Path dataDir;
  CacheRegistry registry;
  RebuildFiles rebuildFiles;
  final Entity items = allTypes("items");

  @BeforeEach
  void setUp() throws Exception {
    registry = new CacheRegistry(dataDir.resolve("dbs"));
    rebuildFiles = new RebuildFiles(registry);
    registry.scan();
    create(registry, items);
  }

  static List<Oplog> rowsBetween(long from, long to) {
    List<Oplog> out = new ArrayList<>();
    for (long id = from; id <= to; id++) {
      out.add(upsert(id, "items", "d" + id, new JsonObject().put("t", "v" + id)));
    }
    return out;
  }

  static void applyTo(CacheDb rebuilt, Entity e, List<Oplog> rows) throws SQLException {
    rebuilt.writeLock.lock();
    try {
      rebuilt.apply(e, rows, false);
    } finally {
      rebuilt.writeLock.unlock();
    }
  }

  long liveRows() {
    return ((Number)
            rows(dataDir.resolve("dbs/items/db.sqlite"), "SELECT count(*) AS c FROM items")
                .get(0)
                .get("c"))
        .longValue();
  }

  @Test
  void aRebuiltFileBehindTheLiveOneIsNotSwappedIn() throws Exception {
    registry.apply(items, rowsBetween(1, 10));
    // the rebuild read the oplog up to its head 5; the live file took rows 6..10 meanwhile
    CacheDb rebuilt = rebuildFiles.open(items);
    applyTo(rebuilt, items, rowsBetween(1, 5));
    assertFalse(
        rebuildFiles.swapIn("items", rebuilt, 5, () -> false).done(),
        "the rebuilt file misses rows 6..10");
    assertEquals(10, liveRows());

    applyTo(rebuilt, items, rowsBetween(6, 12));
    assertTrue(rebuildFiles.swapIn("items", rebuilt, 12, () -> false).done());
    assertEquals(12, liveRows());
    assertEquals(12, registry.meta("items").lastOplogId());
  }

  @Test
  void aRebuildThatReadTheOplogPastTheLiveFileIsSwappedInWhateverItsLastRow() throws Exception {
    registry.apply(items, rowsBetween(1, 10));
    // the rebuild read every row of the entity up to 20, and the oplog holds none after 8 (no more
    // rows to wait for)
    CacheDb rebuilt = rebuildFiles.open(items);
    applyTo(rebuilt, items, rowsBetween(1, 8));
    assertTrue(rebuildFiles.swapIn("items", rebuilt, 20, () -> false).done());
    assertEquals(8, liveRows());
  }
}
