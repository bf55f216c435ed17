package io.emcachers.replicator;

import static io.emcachers.testsupport.Await.await;

import io.emcachers.cache.CacheDbVerticle;
import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.EntityStatusRequest;
import io.emcachers.core.messages.EntityUpsertRequest;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.messages.StatusEvent;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.model.Operation;
import io.emcachers.devservices.DevPostgres;
import io.emcachers.oplog.OplogVerticle;
import io.emcachers.testsupport.Rows;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The pipeline under test in one Vert.x: the real oplog verticle on a real PostgreSQL, the cache-db
 * manager and the replicator on a data dir. Status events are recorded.
 */
final class Pipeline implements AutoCloseable {

  final Vertx vertx;
  final DevPostgres pg;
  final List<StatusEvent> events = new CopyOnWriteArrayList<>();
  private String oplogId;
  private String cacheId;
  private String replicatorId;
  JsonObject root;

  Pipeline(DevPostgres pg, Path dataDir) {
    this.pg = pg;
    this.vertx = TestVertx.create();
    vertx
        .eventBus()
        .<Object>consumer(
            Addresses.STATUS,
            m -> {
              if (m.body() instanceof StatusEvent ev) {
                events.add(ev);
              }
            });
    root = rootConfig(pg, dataDir);
  }

  /** conf/config.json's shape with fast test timings. */
  static JsonObject rootConfig(DevPostgres pg, Path dataDir) {
    return new JsonObject()
        .put("node_id", "node-a")
        .put("data_dir", dataDir.toString())
        .put(
            "postgres",
            new JsonObject()
                .put("url", pg.url())
                .put("pool_size", 4)
                .put("connect_timeout_ms", 2000))
        .put(
            "oplog",
            new JsonObject()
                .put("standby_retry_ms", 200)
                .put("entity_refresh_interval_ms", 60_000)
                .put("reconnect_initial_backoff_ms", 50)
                .put("reconnect_max_backoff_ms", 500))
        .put(
            "replicator",
            new JsonObject()
                .put("poll_interval_ms", 500)
                .put("read_batch_size", 500)
                .put("initial_backoff_ms", 50)
                .put("max_backoff_ms", 400)
                .put("status_interval_ms", 100))
        .put(
            "cache",
            new JsonObject()
                .put("idle_expiry_ms", 300_000)
                .put("cleanup_interval_ms", 60_000)
                .put("query_max_rows", 1000)
                .put("query_timeout_ms", 5000));
  }

  Pipeline startOplog() {
    oplogId =
        await(vertx.deployVerticle(new OplogVerticle(), new DeploymentOptions().setConfig(root)));
    return this;
  }

  Pipeline startCache() {
    cacheId =
        await(vertx.deployVerticle(new CacheDbVerticle(), new DeploymentOptions().setConfig(root)));
    return this;
  }

  Pipeline startReplicator() {
    replicatorId =
        await(
            vertx.deployVerticle(
                new ReplicatorVerticle(), new DeploymentOptions().setConfig(root)));
    return this;
  }

  Pipeline startAll() {
    return startOplog().startCache().startReplicator();
  }

  void stopReplicator() {
    await(vertx.undeploy(replicatorId));
    replicatorId = null;
  }

  void stopCache() {
    await(vertx.undeploy(cacheId));
    cacheId = null;
  }

  /**
   * Points cache-db and replicator at another data dir and node id (takes effect at their next
   * start).
   */
  void useDataDir(Path dir, String nodeId) {
    root.put("data_dir", dir.toString()).put("node_id", nodeId);
  }

  @Override
  public void close() {
    await(vertx.close());
  }

  // ---------------------------------------------------------------- bus helpers

  <R> R request(String address, Object body, Class<R> replyType) {
    return await(Bus.request(vertx.eventBus(), address, body, replyType));
  }

  ReplyException failure(String address, Object body) {
    try {
      Object reply = await(vertx.eventBus().request(address, body)).body();
      throw new AssertionError("expected " + address + " to fail, got " + reply);
    } catch (ReplyException e) {
      return e;
    }
  }

  /** Columns as name:Type pairs, path = name. */
  static JsonObject definition(String name, String... columns) {
    JsonArray cols = new JsonArray();
    for (String c : columns) {
      String[] p = c.split(":");
      cols.add(new JsonObject().put("name", p[0]).put("type", p[1]).put("path", p[0]));
    }
    return new JsonObject()
        .put("name", name)
        .put(
            "shape",
            new JsonObject()
                .put("entity_name", name)
                .put("source_name", name + "_src")
                .put("columns", cols));
  }

  Entity createLive(String name, String... columns) {
    request(
        Addresses.ENTITIES_CREATE,
        new EntityUpsertRequest(definition(name, columns)),
        EntityReply.class);
    return setLive(name);
  }

  Entity setLive(String name) {
    return request(
            Addresses.ENTITIES_SET_STATUS,
            new EntityStatusRequest(name, EntityStatus.live, "test"),
            EntityReply.class)
        .entity();
  }

  AppendResult append(OplogEntry... entries) {
    return append(List.of(entries));
  }

  AppendResult append(List<OplogEntry> entries) {
    return request(
        Addresses.OPLOG_APPEND,
        AppendBatch.stream("test", new JsonObject().put("_data", "t" + System.nanoTime()), entries),
        AppendResult.class);
  }

  static OplogEntry up(String entity, String docId, JsonObject data) {
    return new OplogEntry(Operation.Upsert, entity, docId, data);
  }

  static OplogEntry del(String entity, String docId) {
    return new OplogEntry(Operation.Delete, entity, docId, null);
  }

  // ---------------------------------------------------------------- PostgreSQL and SQLite
  // inspection

  static void resetTables(DevPostgres pg) {
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl());
        Statement st = c.createStatement()) {
      st.execute(
          """
          DO $$ BEGIN
            IF to_regclass('public.oplog') IS NOT NULL THEN
              TRUNCATE entities, oplog, oplog_staging, metadata RESTART IDENTITY;
            END IF;
            IF to_regclass('public.replicas') IS NOT NULL THEN
              TRUNCATE replicas;
            END IF;
          END $$""");
    } catch (SQLException e) {
      throw new RuntimeException(e);
    }
  }

  /**
   * What the oplog in PostgreSQL says an entity's cache must hold: the last row of every doc id
   * that is an upsert, as {@code "doc_id|<column value>|oplog id"} in doc id order.
   */
  List<String> oplogState(String entity, String column) {
    String sql =
        "SELECT doc_id, op, data->>'"
            + column
            + "' AS v, id FROM (SELECT DISTINCT ON (doc_id) doc_id, op, data, id FROM oplog"
            + " WHERE entity = '"
            + entity
            + "' ORDER BY doc_id, id DESC) last WHERE op = 'Upsert' ORDER BY doc_id COLLATE \"C\"";
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl());
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getString(1) + "|" + rs.getString(3) + "|" + rs.getLong(4));
      }
    } catch (SQLException e) {
      throw new RuntimeException(e);
    }
    return out;
  }

  /**
   * What a cache file holds, in the form of {@link #oplogState}; null when the file cannot be read.
   */
  static List<String> cacheState(Path file, String entity, String column) {
    List<Map<String, Object>> rows =
        sqlite(
            file,
            "SELECT _doc_id, \""
                + column
                + "\" AS v, _oplog_id FROM \""
                + entity
                + "\" ORDER BY _doc_id");
    return rows == null
        ? null
        : rows.stream()
            .map(r -> r.get("_doc_id") + "|" + r.get("v") + "|" + r.get("_oplog_id"))
            .toList();
  }

  /** One {@code _emc_meta} value of a cache file, or null. */
  static String meta(Path file, String key) {
    List<Map<String, Object>> r =
        sqlite(file, "SELECT value FROM _emc_meta WHERE key = '" + key + "'");
    return r == null || r.isEmpty() ? null : (String) r.get(0).get("value");
  }

  /** The node offset stored in {@code dir/meta.sqlite}, -1 when none. */
  static long nodeOffset(Path dir) {
    List<Map<String, Object>> r =
        sqlite(
            dir.resolve("meta.sqlite"), "SELECT value FROM metadata WHERE key = 'pg_oplog_offset'");
    return r == null || r.isEmpty() ? -1 : Long.parseLong((String) r.get(0).get("value"));
  }

  /**
   * Rows of {@code sql} on a SQLite file through a plain JDBC connection (another reader), or null
   * when it fails.
   */
  static List<Map<String, Object>> sqlite(Path file, String sql) {
    if (!java.nio.file.Files.exists(file)) {
      return null;
    }
    org.sqlite.SQLiteConfig ro = new org.sqlite.SQLiteConfig();
    ro.setReadOnly(true);
    try (Connection c = ro.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      return Rows.of(rs);
    } catch (SQLException e) {
      return null;
    }
  }
}
