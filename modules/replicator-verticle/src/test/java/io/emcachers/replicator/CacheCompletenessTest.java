package io.emcachers.replicator;

import static io.emcachers.replicator.Pipeline.cacheState;
import static io.emcachers.replicator.Pipeline.meta;
import static io.emcachers.replicator.Pipeline.nodeOffset;
import static io.emcachers.replicator.Pipeline.up;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.messages.EntityNameRequest;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.model.Entity;
import io.emcachers.devservices.DevPostgres;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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

  // ------------------------------------------------------------------------------------------ item 9

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
    await().atMost(Duration.ofSeconds(15)).until(() -> p.oplogState("items", "v").equals(cacheState(cacheFile(), "items", "v")));
    assertEquals(List.of("c|C|" + last), cacheState(cacheFile(), "items", "v"));
    assertEquals("items@" + second.createdAt(), meta(cacheFile(), "incarnation"));
    assertEquals("2", meta(cacheFile(), "doc_id_rule"));
  }
}
