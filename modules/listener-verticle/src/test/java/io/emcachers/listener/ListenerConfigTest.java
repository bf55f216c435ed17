package io.emcachers.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class ListenerConfigTest {

  @Test
  void defaultsAndDatabaseFromTheUrlPath() {
    ListenerConfig c =
        ListenerConfig.fromJson(
            new JsonObject()
                .put(
                    "mongo",
                    new JsonObject().put("url", "mongodb://h:27017/shop?retryWrites=true")));
    assertEquals("shop", c.database());
    assertEquals(ListenerConfig.WatchScope.collection, c.watchScope());
    assertEquals(ListenerConfig.DEFAULT_BATCH_MAX_ENTRIES, c.batchMaxEntries());
    assertEquals(ListenerConfig.DEFAULT_MAX_UNACKED_BATCHES, c.maxUnackedBatches());
    assertTrue(c.requireLocalLeader());
    assertEquals("app", ListenerConfig.fromJson(new JsonObject()).database());
  }

  @Test
  void readsTheListenerSection() {
    JsonObject root =
        new JsonObject()
            .put("node_id", "n1")
            .put("mongo", new JsonObject().put("url", "mongodb://h/app"))
            .put(
                "listener",
                new JsonObject()
                    .put("watch_scope", "DATABASE")
                    .put("batch_max_entries", 10)
                    .put("batch_max_delay_ms", 5)
                    .put("max_unacked_batches", 2)
                    .put("scan_batch_size", 7)
                    .put("require_local_leader", false));
    ListenerConfig c = ListenerConfig.fromJson(root);
    assertEquals("n1", c.nodeId());
    assertEquals(ListenerConfig.WatchScope.database, c.watchScope());
    assertEquals(10, c.batchMaxEntries());
    assertEquals(5, c.batchMaxDelayMs());
    assertEquals(2, c.maxUnackedBatches());
    assertEquals(7, c.scanBatchSize());
    assertEquals(false, c.requireLocalLeader());
  }

  @Test
  void rejectsBadValuesNamingTheKey() {
    assertMessage(
        "listener.batch_max_entries must be >= 1, got 0",
        new JsonObject().put("listener", new JsonObject().put("batch_max_entries", 0)));
    assertMessage(
        "listener.watch_scope must be collection or database, got cluster",
        new JsonObject().put("listener", new JsonObject().put("watch_scope", "cluster")));
    assertMessage(
        "listener.max_unacked_batches must be an integer, got \"x\"",
        new JsonObject().put("listener", new JsonObject().put("max_unacked_batches", "x")));
    assertMessage(
        "listener.require_local_leader must be true or false, got 1",
        new JsonObject().put("listener", new JsonObject().put("require_local_leader", 1)));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ListenerConfig.fromJson(
                    new JsonObject()
                        .put("mongo", new JsonObject().put("url", "mongodb://h:27017/"))));
    assertTrue(e.getMessage().startsWith("mongo.url must name the database"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ListenerConfig.fromJson(
                    new JsonObject().put("mongo", new JsonObject().put("url", "http://x/db"))));
    assertTrue(
        e.getMessage().startsWith("mongo.url is not a MongoDB connection string"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ListenerConfig.fromJson(
                    new JsonObject()
                        .put(
                            "listener",
                            new JsonObject()
                                .put("initial_backoff_ms", 500)
                                .put("max_backoff_ms", 100))));
    assertTrue(
        e.getMessage().startsWith("listener.max_backoff_ms must be >= listener.initial_backoff_ms"),
        e.getMessage());
  }

  @Test
  void backoffDoublesUpToTheCap() {
    ListenerConfig c =
        ListenerConfig.fromJson(
            new JsonObject()
                .put(
                    "listener",
                    new JsonObject().put("initial_backoff_ms", 100).put("max_backoff_ms", 1000)));
    assertEquals(100, c.backoffMs(1));
    assertEquals(200, c.backoffMs(2));
    assertEquals(800, c.backoffMs(4));
    assertEquals(1000, c.backoffMs(5));
    assertEquals(1000, c.backoffMs(500));
  }

  private static void assertMessage(String expected, JsonObject root) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ListenerConfig.fromJson(root));
    assertEquals(expected, e.getMessage());
  }
}
