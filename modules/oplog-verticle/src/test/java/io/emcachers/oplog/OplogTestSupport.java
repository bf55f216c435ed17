package io.emcachers.oplog;

import static io.emcachers.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.EntityStatusRequest;
import io.emcachers.core.messages.EntityUpsertRequest;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.model.Operation;
import io.emcachers.devservices.DevPostgres;
import io.emcachers.testsupport.Rows;
import io.emcachers.testsupport.TestRoots;
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
import java.util.List;
import java.util.Map;

/** Shared helpers of the oplog tests: real PostgreSQL (DevPostgres), JDBC inspection, bus calls. */
public final class OplogTestSupport {

  public static final long TIMEOUT_S = 30;

  private OplogTestSupport() {}

  public static DevPostgres startPostgres(Path dir) {
    return new DevPostgres(dir.resolve("pg"), 0).start();
  }

  /** The root config as conf/config.json has it, pointing at {@code pg}, with fast test timings. */
  public static JsonObject rootConfig(DevPostgres pg) {
    return TestRoots.node("test-node").oplog(pg).build();
  }

  public static String deploy(Vertx vertx, JsonObject root) {
    return await(
        vertx.deployVerticle(new OplogVerticle(), new DeploymentOptions().setConfig(root)));
  }

  public static <R> R request(Vertx vertx, String address, Object body, Class<R> replyType) {
    return await(Bus.request(vertx.eventBus(), address, body, replyType));
  }

  /** Sends and expects a failure; returns it. */
  public static ReplyException requestFailure(Vertx vertx, String address, Object body) {
    try {
      Object reply = await(vertx.eventBus().request(address, body)).body();
      return fail("expected " + address + " to fail, got " + reply);
    } catch (RuntimeException e) {
      return assertInstanceOf(ReplyException.class, e, "failure of " + address);
    }
  }

  public static void assertFailure(ReplyException e, int code, String textFragment) {
    assertEquals(code, e.failureCode(), "failure code; message: " + e.getMessage());
    assertTrue(
        e.getMessage() != null && e.getMessage().contains(textFragment),
        "message '" + e.getMessage() + "' should contain '" + textFragment + "'");
  }

  public static JsonObject definition(String name, String source, String... columns) {
    JsonArray cols = new JsonArray();
    for (String c : columns) {
      cols.add(new JsonObject().put("name", c).put("type", "Text").put("path", c));
    }
    return new JsonObject()
        .put("name", name)
        .put(
            "shape",
            new JsonObject()
                .put("entity_name", name)
                .put("source_name", source)
                .put("columns", cols));
  }

  public static Entity createEntity(Vertx vertx, String name) {
    return request(
            vertx,
            Addresses.ENTITIES_CREATE,
            new EntityUpsertRequest(definition(name, name + "_src", "title")),
            EntityReply.class)
        .entity();
  }

  public static Entity createLiveEntity(Vertx vertx, String name) {
    createEntity(vertx, name);
    return request(
            vertx,
            Addresses.ENTITIES_SET_STATUS,
            new EntityStatusRequest(name, EntityStatus.live, "test"),
            EntityReply.class)
        .entity();
  }

  public static OplogEntry upsert(String entity, String docId, JsonObject data) {
    return new OplogEntry(Operation.Upsert, entity, docId, data);
  }

  public static OplogEntry delete(String entity, String docId) {
    return new OplogEntry(Operation.Delete, entity, docId, null);
  }

  public static AppendResult append(Vertx vertx, AppendBatch batch) {
    return request(vertx, Addresses.OPLOG_APPEND, batch, AppendResult.class);
  }

  // ---------------------------------------------------------------- JDBC inspection

  public static Connection jdbc(DevPostgres pg) throws SQLException {
    return DriverManager.getConnection(pg.jdbcUrl());
  }

  public static List<Map<String, Object>> query(DevPostgres pg, String sql) {
    try (Connection c = jdbc(pg);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      return Rows.of(rs);
    } catch (SQLException e) {
      throw new RuntimeException(e);
    }
  }

  public static long count(DevPostgres pg, String sqlFromWhere) {
    return ((Number) query(pg, "SELECT count(*) AS n FROM " + sqlFromWhere).get(0).get("n"))
        .longValue();
  }

  public static void exec(DevPostgres pg, String sql) {
    try (Connection c = jdbc(pg);
        Statement st = c.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      throw new RuntimeException(e);
    }
  }

  /** Empties every table (when the schema exists), so each test starts clean. */
  public static void resetTables(DevPostgres pg) {
    exec(
        pg,
        """
        DO $$ BEGIN
          IF to_regclass('public.oplog') IS NOT NULL THEN
            TRUNCATE entities, oplog, oplog_staging, metadata RESTART IDENTITY;
          END IF;
          IF to_regclass('public.replicas') IS NOT NULL THEN
            TRUNCATE replicas;
          END IF;
        END $$""");
  }

  public static JsonObject metadata(DevPostgres pg, String key) {
    List<Map<String, Object>> rows =
        query(
            pg,
            "SELECT value::text AS v FROM metadata WHERE key = '" + key.replace("'", "''") + "'");
    return rows.isEmpty() ? null : new JsonObject((String) rows.get(0).get("v"));
  }
}
