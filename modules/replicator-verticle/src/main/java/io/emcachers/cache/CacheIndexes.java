package io.emcachers.cache;

import io.emcachers.core.model.IndexDef;
import io.emcachers.core.model.Shape;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The shape's secondary indexes of a cache table: {@code CREATE [UNIQUE] INDEX
 * "<entity>_idx<i>_<col>_<col>" ON "<entity>" ("col", "col")}, created after a rebuild's bulk load
 * (one sorted build instead of an update per row). A unique index the rows violate is reported as a
 * {@link UniqueViolationException} that names the index, one duplicated key and some of its rows.
 */
final class CacheIndexes {

  private CacheIndexes() {}

  /** The SQLite name of the {@code i}-th index of {@code entity}. */
  static String name(String entity, int i, IndexDef ix) {
    return entity + "_idx" + i + "_" + String.join("_", ix.columns());
  }

  static String create(String entity, int i, IndexDef ix) {
    return "CREATE "
        + (ix.unique() ? "UNIQUE " : "")
        + "INDEX IF NOT EXISTS "
        + CacheSchema.quote(name(entity, i, ix))
        + " ON "
        + CacheSchema.quote(entity)
        + " ("
        + ix.columns().stream().map(CacheSchema::quote).collect(Collectors.joining(", "))
        + ")";
  }

  /**
   * Creates every index of {@code shape} on the open connection (inside the caller's transaction).
   */
  static void createAll(Connection c, String entity, Shape shape) throws SQLException {
    List<IndexDef> indexes = shape.indexes();
    for (int i = 0; i < indexes.size(); i++) {
      IndexDef ix = indexes.get(i);
      try (Statement st = c.createStatement()) {
        st.execute(create(entity, i, ix));
      } catch (SQLException e) {
        if (ix.unique() && isUniqueViolation(e)) {
          throw new UniqueViolationException(
              "unique index "
                  + name(entity, i, ix)
                  + " "
                  + ix.columns()
                  + " cannot be built: the data violates it ("
                  + duplicate(c, entity, ix)
                  + ")",
              e);
        }
        throw e;
      }
    }
  }

  static boolean isUniqueViolation(SQLException e) {
    String m = e.getMessage();
    return m != null && m.contains("UNIQUE constraint failed");
  }

  /** One duplicated key of {@code ix} and up to three doc ids holding it, for the error message. */
  static String duplicate(Connection c, String entity, IndexDef ix) {
    String cols = ix.columns().stream().map(CacheSchema::quote).collect(Collectors.joining(", "));
    String notNull =
        ix.columns().stream()
            .map(col -> CacheSchema.quote(col) + " IS NOT NULL")
            .collect(Collectors.joining(" AND "));
    String sql =
        "SELECT "
            + cols
            + ", count(*), group_concat("
            + CacheSchema.quote(CacheSchema.DOC_ID)
            + ", ', ') FROM (SELECT * FROM "
            + CacheSchema.quote(entity)
            + " WHERE "
            + notNull
            + " ORDER BY "
            + CacheSchema.quote(CacheSchema.DOC_ID)
            + ") GROUP BY "
            + cols
            + " HAVING count(*) > 1 LIMIT 1";
    try (PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        return "no duplicate found on a second look";
      }
      List<String> key = new ArrayList<>();
      for (int i = 0; i < ix.columns().size(); i++) {
        key.add(ix.columns().get(i) + "=" + rs.getObject(i + 1));
      }
      int n = ix.columns().size();
      String ids = rs.getString(n + 2);
      String[] some = ids == null ? new String[0] : ids.split(", ");
      List<String> shown = List.of(some).subList(0, Math.min(3, some.length));
      return rs.getLong(n + 1)
          + " rows have "
          + String.join(", ", key)
          + ", e.g. _doc_id "
          + String.join(", ", shown);
    } catch (SQLException e) {
      return "duplicate lookup failed: " + e.getMessage();
    }
  }
}
