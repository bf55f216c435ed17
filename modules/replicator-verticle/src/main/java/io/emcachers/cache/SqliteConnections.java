package io.emcachers.cache;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.sqlite.SQLiteConfig;

/** How emcachers opens SQLite files: writers in WAL mode with full sync, readers read-only. */
public final class SqliteConnections {

  /** How long a statement waits for a lock held by another connection or process. */
  public static final int BUSY_TIMEOUT_MS = 5000;

  private SqliteConnections() {}

  /**
   * A read-write connection in WAL mode with {@code synchronous=FULL}: a committed batch survives a
   * power loss, so a cache is never behind the node offset recorded after it.
   */
  public static Connection openWriter(Path path) throws SQLException {
    SQLiteConfig cfg = new SQLiteConfig();
    cfg.setJournalMode(SQLiteConfig.JournalMode.WAL);
    cfg.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
    cfg.setBusyTimeout(BUSY_TIMEOUT_MS);
    cfg.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
    cfg.setTempStore(SQLiteConfig.TempStore.MEMORY);
    return cfg.createConnection(url(path));
  }

  /**
   * A connection opened with {@code SQLITE_OPEN_READONLY} and {@code PRAGMA query_only=1}: it
   * cannot change the file, whatever SQL runs on it.
   */
  public static Connection openReadOnly(Path path) throws SQLException {
    SQLiteConfig cfg = new SQLiteConfig();
    cfg.setReadOnly(true);
    cfg.setBusyTimeout(BUSY_TIMEOUT_MS);
    Connection c = cfg.createConnection(url(path));
    try (Statement st = c.createStatement()) {
      st.execute("PRAGMA query_only = 1");
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return c;
  }

  public static String url(Path path) {
    return "jdbc:sqlite:" + path.toAbsolutePath();
  }

  static void closeQuietly(Iterable<? extends AutoCloseable> resources) {
    for (AutoCloseable r : resources) {
      if (r != null) {
        try {
          r.close();
        } catch (Exception ignored) {
          // closing: nothing left to do with this resource
        }
      }
    }
  }
}
