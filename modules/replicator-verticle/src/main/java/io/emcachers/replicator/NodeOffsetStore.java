package io.emcachers.replicator;

import io.emcachers.cache.SqliteConnections;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The node's local metadata database {@code {data_dir}/meta.sqlite}: table {@code metadata(key TEXT
 * PRIMARY KEY, value TEXT)}, key {@value #OFFSET_KEY} holding the id of the last oplog row whose
 * batch every cache has applied. Blocking: call from a worker thread; methods are synchronized so
 * one connection serves them all.
 */
public final class NodeOffsetStore implements AutoCloseable {

  public static final String OFFSET_KEY = "pg_oplog_offset";

  private final Path path;
  private Connection conn;

  public NodeOffsetStore(Path path) {
    this.path = path;
  }

  public Path path() {
    return path;
  }

  private Connection conn() throws SQLException {
    if (conn == null) {
      try {
        Files.createDirectories(path.toAbsolutePath().getParent());
      } catch (IOException e) {
        throw new SQLException("cannot create " + path.getParent() + ": " + e, e);
      }
      Connection c = SqliteConnections.openWriter(path);
      try (Statement st = c.createStatement()) {
        st.execute("CREATE TABLE IF NOT EXISTS metadata (key TEXT PRIMARY KEY, value TEXT)");
      } catch (SQLException e) {
        c.close();
        throw e;
      }
      conn = c;
    }
    return conn;
  }

  /** The stored offset, 0 when none was ever stored. */
  public synchronized long read() throws SQLException {
    try (PreparedStatement ps =
        conn().prepareStatement("SELECT value FROM metadata WHERE key = ?")) {
      ps.setString(1, OFFSET_KEY);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next() || rs.getString(1) == null) {
          return 0;
        }
        try {
          return Long.parseLong(rs.getString(1).trim());
        } catch (NumberFormatException e) {
          throw new SQLException(
              path + ": metadata " + OFFSET_KEY + " is not a number: " + rs.getString(1));
        }
      }
    } catch (SQLException e) {
      closeQuietly();
      throw e;
    }
  }

  /** Stores {@code offset} (durably: synchronous=FULL). */
  public synchronized void write(long offset) throws SQLException {
    try (PreparedStatement ps =
        conn()
            .prepareStatement(
                "INSERT INTO metadata (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")) {
      ps.setString(1, OFFSET_KEY);
      ps.setString(2, Long.toString(offset));
      ps.executeUpdate();
    } catch (SQLException e) {
      closeQuietly();
      throw e;
    }
  }

  private void closeQuietly() {
    try {
      close();
    } catch (SQLException ignored) {
      // reopened on next use
    }
  }

  @Override
  public synchronized void close() throws SQLException {
    Connection c = conn;
    conn = null;
    if (c != null) {
      c.close();
    }
  }
}
