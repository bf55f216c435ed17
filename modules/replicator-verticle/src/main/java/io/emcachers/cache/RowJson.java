package io.emcachers.cache;

import io.emcachers.core.model.Column;
import io.emcachers.core.model.DataType;
import io.emcachers.core.model.Shape;
import io.vertx.core.json.JsonObject;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Result rows as JSON objects keyed by column label. A result column taken straight from the entity
 * table whose name is a shape column is converted back by type: Bool 0/1 → false/true, JSONB text →
 * the JSON value. Other values come back as stored (integers as numbers, REAL as numbers, TEXT as
 * strings, BLOB as base64 text).
 */
final class RowJson {

  record Rows(List<JsonObject> rows, boolean truncated) {}

  private RowJson() {}

  /**
   * Reads at most {@code maxRows} rows; {@code truncated} tells whether more were available. When
   * {@code onRow} is set it runs before each row (the query path checks its deadline there).
   */
  static Rows readAll(ResultSet rs, String entity, Shape shape, int maxRows, Runnable onRow)
      throws SQLException {
    ResultSetMetaData md = rs.getMetaData();
    int n = md.getColumnCount();
    String[] labels = new String[n];
    DataType[] types = new DataType[n];
    Map<String, DataType> byName = new HashMap<>();
    if (shape != null) {
      for (Column c : shape.columns()) {
        byName.put(c.name(), c.type());
      }
    }
    for (int i = 0; i < n; i++) {
      labels[i] = md.getColumnLabel(i + 1);
      String t = md.getTableName(i + 1);
      types[i] = entity.equals(t) ? byName.get(labels[i]) : null;
    }
    List<JsonObject> rows = new ArrayList<>();
    boolean truncated = false;
    while (rs.next()) {
      if (onRow != null) {
        onRow.run();
      }
      if (rows.size() >= maxRows) {
        truncated = true;
        break;
      }
      JsonObject row = new JsonObject();
      for (int i = 0; i < n; i++) {
        row.put(labels[i], CacheSchema.toJson(types[i], rs.getObject(i + 1)));
      }
      rows.add(row);
    }
    return new Rows(rows, truncated);
  }
}
