package io.emcachers.launcher.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a cache file the way a user would: a plain read-only JDBC connection to {@code
 * dbs/ENTITY/db.sqlite}.
 */
final class SqliteRows {

  private SqliteRows() {}

  static Path file(Path dataDir, String entity) {
    return dataDir.resolve("dbs").resolve(entity).resolve("db.sqlite");
  }

  /**
   * doc id → {column → value}, without the bookkeeping column {@code _oplog_id}; empty when the
   * file does not exist yet.
   */
  static Map<String, Map<String, Object>> rows(Path dataDir, String entity) {
    Path f = file(dataDir, entity);
    Map<String, Map<String, Object>> out = new TreeMap<>();
    if (!Files.exists(f)) {
      return out;
    }
    try (Connection c = open(f);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT * FROM \"" + entity + "\"")) {
      ResultSetMetaData md = rs.getMetaData();
      while (rs.next()) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          String col = md.getColumnName(i);
          if (!col.equals("_oplog_id") && !col.equals("_doc_id")) {
            row.put(col, rs.getObject(i));
          }
        }
        out.put(rs.getString("_doc_id"), row);
      }
      return out;
    } catch (SQLException e) {
      // The table may not exist yet while the cache is being created: treat as empty.
      if (e.getMessage() != null && e.getMessage().contains("no such table")) {
        return out;
      }
      throw new IllegalStateException(e);
    }
  }

  /** SQLite storage class of each column of one row ({@code typeof()}). */
  static Map<String, String> types(Path dataDir, String entity, String docId, List<String> columns)
      throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT ");
    for (int i = 0; i < columns.size(); i++) {
      sql.append(i == 0 ? "" : ", ").append("typeof(\"").append(columns.get(i)).append("\")");
    }
    sql.append(" FROM \"").append(entity).append("\" WHERE _doc_id = ?");
    try (Connection c = open(file(dataDir, entity));
        var ps = c.prepareStatement(sql.toString())) {
      ps.setString(1, docId);
      try (ResultSet rs = ps.executeQuery()) {
        Map<String, String> out = new LinkedHashMap<>();
        if (rs.next()) {
          for (int i = 0; i < columns.size(); i++) {
            out.put(columns.get(i), rs.getString(i + 1));
          }
        }
        return out;
      }
    }
  }

  static List<String> columns(Path dataDir, String entity) throws SQLException {
    try (Connection c = open(file(dataDir, entity));
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("PRAGMA table_info(\"" + entity + "\")")) {
      List<String> cols = new ArrayList<>();
      while (rs.next()) {
        cols.add(rs.getString("name"));
      }
      return cols;
    }
  }

  /**
   * The cache's {@code _emc_meta} key/value pairs ({@code last_oplog_id}, {@code shape_hash}, ...);
   * empty when the file or table does not exist.
   */
  static Map<String, String> meta(Path dataDir, String entity) {
    Path f = file(dataDir, entity);
    Map<String, String> out = new TreeMap<>();
    if (!Files.exists(f)) {
      return out;
    }
    try (Connection c = open(f);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT key, value FROM _emc_meta")) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getString(2));
      }
      return out;
    } catch (SQLException e) {
      if (e.getMessage() != null && e.getMessage().contains("no such table")) {
        return out;
      }
      throw new IllegalStateException(e);
    }
  }

  private static Connection open(Path f) throws SQLException {
    org.sqlite.SQLiteConfig cfg = new org.sqlite.SQLiteConfig();
    cfg.setReadOnly(true);
    cfg.setBusyTimeout(5000);
    return DriverManager.getConnection("jdbc:sqlite:" + f, cfg.toProperties());
  }
}
