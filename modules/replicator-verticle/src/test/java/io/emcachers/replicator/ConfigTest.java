package io.emcachers.replicator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.emcachers.cache.CacheConfig;
import io.emcachers.core.retry.Backoff;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Config records: conf/config.json values, defaults, precise errors; and the backoff schedule. */
class ConfigTest {

  static JsonObject confJson() throws Exception {
    // the repository's default configuration
    Path conf = Path.of("../../conf/config.json");
    return new JsonObject(Files.readString(conf));
  }

  @Test
  void readsTheDefaultConfiguration() throws Exception {
    JsonObject root = confJson();
    ReplicatorConfig r = ReplicatorConfig.fromJson(root);
    assertEquals(Path.of("./data"), r.dataDir());
    assertEquals(1000, r.pollIntervalMs());
    assertEquals(2000, r.readBatchSize());
    assertEquals(10_000, r.maxReadBatchSize());
    assertEquals(200, r.initialBackoffMs());
    assertEquals(10_000, r.maxBackoffMs());
    assertEquals(1000, r.statusIntervalMs());
    assertEquals(30_000, r.reportIntervalMs());
    assertEquals(Path.of("./data/meta.sqlite"), r.metaDbPath());
    assertFalse(r.nodeId().isBlank(), "null node_id falls back to the host name");
    CacheConfig c = CacheConfig.fromJson(root);
    assertEquals(300_000, c.idleExpiryMs());
    assertEquals(60_000, c.cleanupIntervalMs());
    assertEquals(1000, c.queryMaxRows());
    assertEquals(5000, c.queryTimeoutMs());
    assertEquals(Path.of("./data/dbs"), c.dbsDir());
    assertEquals(r.nodeId(), c.nodeId());
  }

  @Test
  void defaultsWhenSectionsAreMissing() {
    ReplicatorConfig r = ReplicatorConfig.fromJson(new JsonObject().put("node_id", "n1"));
    assertEquals(ReplicatorConfig.DEFAULT_READ_BATCH_SIZE, r.readBatchSize());
    assertEquals("n1", r.nodeId());
    assertEquals(ReplicatorConfig.DEFAULT_REPORT_INTERVAL_MS, r.reportIntervalMs());
    CacheConfig c =
        CacheConfig.fromJson(new JsonObject().put("node_id", "n1").put("data_dir", "/tmp/x"));
    assertEquals(CacheConfig.DEFAULT_IDLE_EXPIRY_MS, c.idleExpiryMs());
    assertEquals(Path.of("/tmp/x/dbs"), c.dbsDir());
  }

  @Test
  void badValuesFailWithPreciseMessages() {
    assertEquals(
        "replicator.read_batch_size must be >= 1, got 0",
        replicatorRejects(new JsonObject().put("read_batch_size", 0)));
    assertEquals(
        "replicator.max_read_batch_size must be >= replicator.read_batch_size (500), got 100",
        replicatorRejects(
            new JsonObject().put("read_batch_size", 500).put("max_read_batch_size", 100)));
    assertEquals(
        50_000,
        ReplicatorConfig.fromJson(
                new JsonObject().put("replicator", new JsonObject().put("read_batch_size", 50_000)))
            .maxReadBatchSize(),
        "a read_batch_size above the default cap raises the cap's default with it");
    assertEquals(
        "replicator.max_backoff_ms must be >= 500, got 100",
        replicatorRejects(
            new JsonObject().put("initial_backoff_ms", 500).put("max_backoff_ms", 100)));
    assertEquals(
        "replicator.report_interval_ms must be >= 1, got 0",
        replicatorRejects(new JsonObject().put("report_interval_ms", 0)));
    assertEquals(
        "cache.query_max_rows must be an integer, got \"many\"",
        cacheRejects(
            new JsonObject().put("cache", new JsonObject().put("query_max_rows", "many"))));
    assertEquals(
        "node_id must be a non-empty string or null, got ",
        cacheRejects(new JsonObject().put("node_id", "")));
    assertEquals(
        "cache must be an object, got x", cacheRejects(new JsonObject().put("cache", "x")));
  }

  /** The message {@code ReplicatorConfig.fromJson} refuses a {@code replicator} section with. */
  private static String replicatorRejects(JsonObject section) {
    return assertThrows(
            IllegalArgumentException.class,
            () -> ReplicatorConfig.fromJson(new JsonObject().put("replicator", section)))
        .getMessage();
  }

  /** The message {@code CacheConfig.fromJson} refuses a root config with. */
  private static String cacheRejects(JsonObject root) {
    return assertThrows(IllegalArgumentException.class, () -> CacheConfig.fromJson(root))
        .getMessage();
  }

  @Test
  void backoffDoublesUpToTheCap() {
    Backoff b = new Backoff(100, 1000);
    assertEquals(100, b.failed());
    assertEquals(200, b.failed());
    assertEquals(400, b.failed());
    assertEquals(800, b.failed());
    assertEquals(1000, b.failed());
    for (int i = 0; i < 100; i++) {
      assertEquals(1000, b.failed());
    }
    assertEquals(105, b.consecutiveErrors());
    assertEquals(105, b.succeeded());
    assertEquals(0, b.succeeded());
    assertEquals(100, b.failed());
  }
}
