package io.emcachers.cache;

import io.emcachers.core.model.Column;
import io.emcachers.core.model.DataType;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.model.Operation;
import io.emcachers.core.model.Oplog;
import io.emcachers.core.model.Shape;
import io.emcachers.testsupport.Rows;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Entities, oplog rows and plain-JDBC inspection of cache files for the cache tests. */
public final class CacheFixtures {

  private CacheFixtures() {}

  /**
   * An entity with one column of every type: t Text, i Integer, n Number, b Bool, j JSONB, a Any.
   */
  public static Entity allTypes(String name) {
    return entity(
        name,
        1,
        new Column("t", DataType.Text, "t"),
        new Column("i", DataType.Integer, "i"),
        new Column("n", DataType.Number, "n"),
        new Column("b", DataType.Bool, "b"),
        new Column("j", DataType.JSONB, "j"),
        new Column("a", DataType.Any, "a"));
  }

  public static Entity entity(String name, long version, Column... columns) {
    return new Entity(
        name,
        new Shape(name, name + "_src", List.of(columns)),
        EntityStatus.live,
        version,
        Instant.now(),
        Instant.now());
  }

  public static Oplog upsert(long id, String entity, String docId, JsonObject data) {
    return new Oplog(id, Operation.Upsert, docId, Instant.now(), entity, data);
  }

  public static Oplog delete(long id, String entity, String docId) {
    return new Oplog(id, Operation.Delete, docId, Instant.now(), entity, null);
  }

  /** Creates the entity's (empty) cache the way a rebuild does: build a file, swap it in. */
  public static void create(CacheRegistry registry, Entity e) throws SQLException {
    RebuildFiles files = new RebuildFiles(registry);
    files.swapIn(e.name(), files.open(e), 0, () -> false);
  }

  /** A plain JDBC connection (not emcachers' own), as any other process would open it. */
  public static Connection plain(Path file) throws SQLException {
    return DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
  }

  /** Rows of {@code sql} as maps, in result order. */
  public static List<Map<String, Object>> rows(Path file, String sql) {
    try (Connection c = plain(file);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      return rows(rs);
    } catch (SQLException e) {
      throw new RuntimeException(e);
    }
  }

  public static List<Map<String, Object>> rows(ResultSet rs) throws SQLException {
    return Rows.of(rs);
  }
}
