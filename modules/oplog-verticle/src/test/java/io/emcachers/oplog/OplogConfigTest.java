package io.emcachers.oplog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class OplogConfigTest {

  private static JsonObject root(String url) {
    return new JsonObject().put("postgres", new JsonObject().put("url", url));
  }

  private static String error(JsonObject root) {
    return assertThrows(IllegalArgumentException.class, () -> OplogConfig.fromJson(root))
        .getMessage();
  }

  @Test
  void shippedConfigParsesWithItsValues() throws Exception {
    Path conf = Path.of("../../conf/config.json");
    JsonObject root = new JsonObject(Files.readString(conf));
    OplogConfig c = OplogConfig.fromJson(root);
    assertEquals("127.0.0.1", c.pgHost());
    assertEquals(5432, c.pgPort());
    assertEquals("postgres", c.pgUser());
    assertNull(c.pgPassword());
    assertEquals("postgres", c.pgDatabase());
    assertEquals(4, c.poolSize());
    assertEquals(5000, c.connectTimeoutMs());
    assertEquals(727272L, c.leaderLockKey());
    assertEquals(2000L, c.standbyRetryMs());
    assertEquals(10000, c.maxBatchEntries());
    assertEquals(30000L, c.entityRefreshIntervalMs());
    assertEquals(200L, c.reconnectInitialBackoffMs());
    assertEquals(10000L, c.reconnectMaxBackoffMs());
    assertEquals(OplogConfig.DEFAULT_READ_MAX_ROWS, c.readMaxRows());
    assertEquals(OplogConfig.DEFAULT_RETAIN_HISTORY_MS, c.retainHistoryMs());
    assertEquals(86_400_000L, c.retainHistoryMs());
    assertEquals(604_800_000L, c.replicaExpiryMs());
    assertEquals(600_000L, c.compactionIntervalMs());
    assertEquals(2, c.vacuumCostDelayMs());
    assertEquals(256, c.compactionWorkMemMb());
    // the shipped circuit section equals the documented defaults
    assertEquals(io.emcachers.core.circuit.BreakerConfig.DEFAULTS, c.circuit());
    assertTrue(c.toString().contains("\"failure_threshold\":5"), c.toString());
    IllegalArgumentException bad =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () ->
                OplogConfig.fromJson(
                    root.copy().put("circuit", new JsonObject().put("call_timeout_ms", -1))));
    assertEquals("circuit.call_timeout_ms must be >= 0, got -1", bad.getMessage());
    assertTrue(c.nodeId() != null && !c.nodeId().isBlank(), "a null node_id gets a generated one");
  }

  @Test
  void parsesFullUrlWithCredentialsAndDefaults() {
    OplogConfig c =
        OplogConfig.fromJson(
            root("postgresql://emc:s%40cret:x@db.example:6543/cache?sslmode=require")
                .put("node_id", "n1"));
    assertEquals("db.example", c.pgHost());
    assertEquals(6543, c.pgPort());
    assertEquals("emc", c.pgUser());
    assertEquals("s@cret:x", c.pgPassword());
    assertEquals("cache", c.pgDatabase());
    assertEquals("require", c.pgSslMode());
    assertEquals("n1", c.nodeId());
    assertEquals("jdbc:postgresql://db.example:6543/cache?sslmode=require", c.jdbcUrl());
    assertTrue(!c.toString().contains("s@cret"), "toString must not leak the password");
    assertEquals(OplogConfig.DEFAULT_POOL_SIZE, c.poolSize());
    assertEquals(OplogConfig.DEFAULT_STANDBY_RETRY_MS, c.standbyRetryMs());

    OplogConfig d = OplogConfig.fromJson(root("postgres://alice@[::1]/"));
    assertEquals("::1", d.pgHost());
    assertEquals(5432, d.pgPort());
    assertEquals("alice", d.pgDatabase(), "database defaults to the user name");
  }

  @Test
  void rejectsBadValuesWithPreciseMessages() {
    assertEquals(
        "postgres.url is required (form postgresql://user:pass@host:port/db)",
        error(new JsonObject()));
    assertTrue(
        error(root("mysql://x@h/db")).startsWith("postgres.url must start with postgresql://"));
    assertTrue(error(root("postgresql:///db")).startsWith("postgres.url has no"));
    assertTrue(error(root("postgresql://u@h:99999/db")).contains("port"));
    assertTrue(
        error(root("postgresql://u@h/db?foo=bar")).contains("unsupported query parameter 'foo'"));
    assertTrue(error(root("postgresql://u@h/db?sslmode=maybe")).contains("sslmode must be one of"));
    assertEquals(
        "postgres.pool_size must be >= 1, got 0",
        error(
            root("postgresql://u@h/db")
                .put(
                    "postgres",
                    new JsonObject().put("url", "postgresql://u@h/db").put("pool_size", 0))));
    JsonObject base = root("postgresql://u@h/db");
    assertEquals(
        "oplog.retain_history_ms must be >= 0, got -1",
        error(base.copy().put("oplog", new JsonObject().put("retain_history_ms", -1))));
    assertEquals(
        "oplog.replica_expiry_ms must be >= 1, got 0",
        error(base.copy().put("oplog", new JsonObject().put("replica_expiry_ms", 0))));
    assertEquals(
        "oplog.compaction_interval_ms must be >= 0, got -5",
        error(base.copy().put("oplog", new JsonObject().put("compaction_interval_ms", -5))));
    assertEquals(
        "oplog.compaction_work_mem_mb must be >= 0, got -1",
        error(base.copy().put("oplog", new JsonObject().put("compaction_work_mem_mb", -1))));
    assertEquals(
        "oplog.lease_ttl_ms (3000) must be at least twice oplog.lease_renew_ms (2000), so one late"
            + " renewal does not depose a healthy leader",
        error(base.copy().put("oplog", new JsonObject().put("lease_ttl_ms", 3000))));
    assertEquals(
        "oplog.lease_renew_ms must be >= 50, got 10",
        error(base.copy().put("oplog", new JsonObject().put("lease_renew_ms", 10))));
    assertEquals(
        "oplog.max_batch_entries must be >= 1, got 0",
        error(base.copy().put("oplog", new JsonObject().put("max_batch_entries", 0))));
    assertEquals(
        "oplog.standby_retry_ms must be an integer, got \"soon\"",
        error(base.copy().put("oplog", new JsonObject().put("standby_retry_ms", "soon"))));
    assertEquals(
        "oplog.entity_refresh_interval_ms must be an integer, got 1.5",
        error(base.copy().put("oplog", new JsonObject().put("entity_refresh_interval_ms", 1.5))));
    assertEquals(
        "oplog.reconnect_max_backoff_ms must be >= oplog.reconnect_initial_backoff_ms (500), got 100",
        error(
            base.copy()
                .put(
                    "oplog",
                    new JsonObject()
                        .put("reconnect_initial_backoff_ms", 500)
                        .put("reconnect_max_backoff_ms", 100))));
    assertEquals("oplog must be an object, got 3", error(base.copy().put("oplog", 3)));
    assertEquals(
        "node_id must be a non-empty string or null, got 7", error(base.copy().put("node_id", 7)));
  }
}
