package io.emcachers.bench;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.EntityStatusRequest;
import io.emcachers.core.messages.EntityUpsertRequest;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.launcher.Node;
import io.emcachers.launcher.VertxFactory;
import io.emcachers.launcher.config.ConfigLoader;
import io.emcachers.launcher.config.LaunchConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts emcachers nodes in this JVM the way the launcher does ({@link VertxFactory}, {@link
 * Node}).
 */
final class Pipeline {

  private Pipeline() {}

  /**
   * The root config: the bundled defaults, the benchmark's overrides ({@code --set}), then the
   * run's data dir, roles and server URLs. The API role is never deployed (it is not on the data
   * path).
   */
  static JsonObject config(
      JsonObject overrides, String pgUrl, String mongoUrl, Path dataDir, String... roles) {
    JsonObject cfg = ConfigLoader.defaults();
    deepMerge(cfg, overrides);
    cfg.put("data_dir", dataDir.toString());
    cfg.put("roles", new JsonArray(List.of((Object[]) roles)));
    cfg.getJsonObject("postgres").put("url", pgUrl);
    cfg.getJsonObject("mongo").put("url", mongoUrl);
    cfg.getJsonObject("cluster").put("enabled", false);
    return cfg;
  }

  static void deepMerge(JsonObject target, JsonObject overrides) {
    for (String key : overrides.fieldNames()) {
      Object v = overrides.getValue(key);
      if (v instanceof JsonObject o && target.getValue(key) instanceof JsonObject t) {
        deepMerge(t, o);
      } else {
        target.put(key, v);
      }
    }
  }

  /** A Vert.x instance as the launcher makes it (metrics on, codecs registered). */
  static Vertx vertx(JsonObject config) throws Exception {
    return await(VertxFactory.create(LaunchConfig.fromJson(config)), 60);
  }

  /** Deploys a node of {@code config}'s roles on {@code vertx}. */
  static Node deploy(Vertx vertx, JsonObject config) throws Exception {
    Node node = new Node(vertx, config, LaunchConfig.fromJson(config));
    await(node.deploy(), 120);
    return node;
  }

  static void undeploy(Node node) {
    try {
      await(node.undeploy(Duration.ofSeconds(10)), 90);
    } catch (Exception e) {
      System.err.println("undeploy: " + e);
    }
  }

  /**
   * Ends a stage's pipeline: the separately deployed listener (its deployment id, may be null),
   * then the node (may be null), then Vert.x.
   */
  static void shutdown(Vertx vertx, String listener, Node node) throws Exception {
    if (listener != null) {
      try {
        await(vertx.undeploy(listener), 30);
      } catch (Exception e) {
        System.err.println("undeploy listener: " + e);
      }
    }
    if (node != null) {
      undeploy(node);
    }
    await(vertx.close(), 60);
  }

  static <T> T await(Future<T> f, long seconds) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
  }

  /** Creates an entity, retrying while the oplog verticle is not the leader yet. */
  static EntityReply createEntity(Vertx vertx, JsonObject definition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        return await(
            Bus.request(
                vertx.eventBus(),
                Addresses.ENTITIES_CREATE,
                new EntityUpsertRequest(definition),
                EntityReply.class),
            30);
      } catch (java.util.concurrent.ExecutionException e) {
        int code = Bus.codeOf(e.getCause());
        if (!ErrorCodes.retriable(code) || System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "could not create entity "
                  + definition.getString("name")
                  + ": "
                  + Bus.textOf(e.getCause()),
              e.getCause());
        }
        Thread.sleep(100);
      }
    }
  }

  static EntityReply setStatus(Vertx vertx, String name, EntityStatus status) throws Exception {
    return await(
        Bus.request(
            vertx.eventBus(),
            Addresses.ENTITIES_SET_STATUS,
            new EntityStatusRequest(name, status, "benchmark"),
            EntityReply.class),
        30);
  }

  // ---- PostgreSQL helpers (JDBC, outside the pipeline) ----

  static void createDatabase(String adminJdbcUrl, String db) throws SQLException {
    try (Connection c = DriverManager.getConnection(adminJdbcUrl);
        Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + db);
      st.execute("CREATE DATABASE " + db);
    }
  }

  /** Highest oplog id per entity, in the order of {@code entities}. */
  static List<Long> maxIds(Connection pg, List<String> entities) throws SQLException {
    List<Long> out = new ArrayList<>();
    try (PreparedStatement ps = pg.prepareStatement("SELECT max(id) FROM oplog WHERE entity = ?")) {
      for (String e : entities) {
        ps.setString(1, e);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          out.add(rs.getLong(1));
        }
      }
    }
    return out;
  }

  static String entityStatus(Connection pg, String entity) throws SQLException {
    try (PreparedStatement ps = pg.prepareStatement("SELECT status FROM entities WHERE name = ?")) {
      ps.setString(1, entity);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }
}
