package io.emcachers.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Reads one cache file the way a user would (a read-only JDBC connection to {@code
 * {data_dir}/dbs/{entity}/db.sqlite}): its {@code last_oplog_id} and row count. Opens lazily, so it
 * can be created before the cache file exists, and opens again when a rebuild has swapped a new
 * file in.
 */
final class CacheProbe implements AutoCloseable {

  private final Path file;
  private final String entity;
  private Connection conn;
  private PreparedStatement lastId;

  CacheProbe(Path dataDir, String entity) {
    this.file = dataDir.resolve("dbs").resolve(entity).resolve("db.sqlite");
    this.entity = entity;
  }

  Path file() {
    return file;
  }

  private boolean open() {
    if (conn != null && !replaced()) {
      return true;
    }
    closeQuietly();
    if (!Files.exists(file)) {
      return false;
    }
    try {
      openedKey = fileKey();
      org.sqlite.SQLiteConfig cfg = new org.sqlite.SQLiteConfig();
      cfg.setReadOnly(true);
      cfg.setBusyTimeout(5000);
      conn = DriverManager.getConnection("jdbc:sqlite:" + file, cfg.toProperties());
      lastId = conn.prepareStatement("SELECT value FROM _emc_meta WHERE key = 'last_oplog_id'");
      return true;
    } catch (SQLException e) {
      closeQuietly();
      return false;
    }
  }

  /** The files' identities (device and inode on Linux) when the connection was opened. */
  private Object openedKey;

  /**
   * Whether the file was replaced since it was opened: a rebuild swaps a new file in under the same
   * name, and a connection to the old one would go on reading the old file.
   */
  private boolean replaced() {
    Object now = fileKey();
    return now == null || !now.equals(openedKey);
  }

  /**
   * The identities of the file and its {@code -wal} and {@code -shm} side files: a connection that
   * opened an old side file (removed when a rebuilt file was moved in) would read a stale snapshot.
   */
  private Object fileKey() {
    java.util.List<Object> keys = new java.util.ArrayList<>(3);
    for (String suffix : new String[] {"", "-wal", "-shm"}) {
      Path p = file.resolveSibling(file.getFileName() + suffix);
      try {
        keys.add(
            Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class).fileKey());
      } catch (java.io.IOException e) {
        if (suffix.isEmpty()) {
          return null;
        }
        keys.add("absent");
      }
    }
    return keys;
  }

  /** The cache's {@code last_oplog_id}, or -1 while the file or its metadata does not exist yet. */
  long lastOplogId() {
    if (!open()) {
      return -1;
    }
    try (ResultSet rs = lastId.executeQuery()) {
      return rs.next() && rs.getString(1) != null ? Long.parseLong(rs.getString(1).trim()) : -1;
    } catch (SQLException e) {
      // created but not initialised yet (no such table): try again later
      closeQuietly();
      return -1;
    }
  }

  /** Rows in the entity's table, or -1 when it does not exist yet. */
  long count() {
    if (!open()) {
      return -1;
    }
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM \"" + entity + "\"")) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      closeQuietly();
      return -1;
    }
  }

  /** The connection, for callers that run their own queries; null while the file does not exist. */
  Connection connection() {
    return open() ? conn : null;
  }

  private void closeQuietly() {
    try {
      if (conn != null) {
        conn.close();
      }
    } catch (SQLException e) {
      // ignore
    }
    conn = null;
    lastId = null;
  }

  @Override
  public void close() {
    closeQuietly();
  }
}
