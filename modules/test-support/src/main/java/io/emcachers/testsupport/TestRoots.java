package io.emcachers.testsupport;

import io.emcachers.devservices.DevPostgres;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Root configs as {@code conf/config.json} has them, with the fast timings tests want. Each method
 * adds one verticle's section; tests adjust a section afterwards with {@code
 * getJsonObject(...).put}.
 */
public final class TestRoots {

  private final JsonObject root;

  private TestRoots(String nodeId) {
    root = new JsonObject().put("node_id", nodeId);
  }

  public static TestRoots node(String nodeId) {
    return new TestRoots(nodeId);
  }

  /** The {@code postgres} section pointing at {@code pg} and the {@code oplog} section. */
  public TestRoots oplog(DevPostgres pg) {
    root.put(
        "postgres",
        new JsonObject().put("url", pg.url()).put("pool_size", 4).put("connect_timeout_ms", 2000));
    root.put(
        "oplog",
        new JsonObject()
            .put("leader_lock_key", 727272)
            .put("standby_retry_ms", 200)
            .put("max_batch_entries", 10000)
            .put("entity_refresh_interval_ms", 60000)
            .put("reconnect_initial_backoff_ms", 50)
            .put("reconnect_max_backoff_ms", 500));
    return this;
  }

  /** The {@code mongo} section pointing at {@code mongoUrl} and the {@code listener} section. */
  public TestRoots listener(String mongoUrl) {
    root.put("mongo", new JsonObject().put("url", mongoUrl));
    root.put(
        "listener",
        new JsonObject()
            .put("watch_scope", "collection")
            .put("batch_max_entries", 100)
            .put("batch_max_delay_ms", 20)
            .put("max_unacked_batches", 4)
            .put("scan_batch_size", 250)
            .put("initial_backoff_ms", 50)
            .put("max_backoff_ms", 500)
            .put("leader_check_interval_ms", 200)
            .put("idle_poll_ms", 20)
            .put("stream_await_ms", 500)
            .put("coercion_report_interval_ms", 60000));
    return this;
  }

  /** The {@code api} section on 127.0.0.1, port 0, with {@code key}. */
  public TestRoots api(String key, boolean openReads) {
    root.put(
        "api",
        new JsonObject()
            .put("host", "127.0.0.1")
            .put("port", 0)
            .put("key", key)
            .put("open_reads", openReads)
            .put("body_limit_bytes", 4096)
            .put("request_timeout_ms", 5000)
            .put("health_timeout_ms", 500)
            .put("cors_origins", new JsonArray().add("http://allowed.example")));
    return this;
  }

  public JsonObject build() {
    return root.copy();
  }
}
