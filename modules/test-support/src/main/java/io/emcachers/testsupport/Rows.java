package io.emcachers.testsupport;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** JDBC result sets as plain rows, for tests that inspect PostgreSQL or SQLite directly. */
public final class Rows {

  private Rows() {}

  /** Every remaining row of {@code rs} as {column label → value}, in order. */
  public static List<Map<String, Object>> of(ResultSet rs) throws SQLException {
    List<Map<String, Object>> out = new ArrayList<>();
    int n = rs.getMetaData().getColumnCount();
    while (rs.next()) {
      Map<String, Object> row = new LinkedHashMap<>();
      for (int i = 1; i <= n; i++) {
        row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
      }
      out.add(row);
    }
    return out;
  }
}
