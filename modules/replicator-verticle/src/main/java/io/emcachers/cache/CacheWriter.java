package io.emcachers.cache;

import io.emcachers.core.model.Column;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.Operation;
import io.emcachers.core.model.Oplog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;

/**
 * The writer connection of one cache file and its prepared statements: creates the file, applies
 * batches together with their {@code last_oplog_id}, checkpoints the file before a move. Owned by
 * its {@link CacheDb} and used with the cache's write lock held.
 */
final class CacheWriter {

  private final String entity;
  private final Path path;
  private Connection connection;
  private PreparedStatement upsert;
  private PreparedStatement delete;
  private PreparedStatement metaUpsert;
  private CacheMeta meta;

  CacheWriter(String entity, Path path) {
    this.entity = entity;
    this.path = path;
  }

  boolean isOpen() {
    return connection != null;
  }

  /** The file's metadata as last written (open writer only). */
  CacheMeta meta() {
    return meta;
  }

  /**
   * Opens the connection, creating the file with {@code e}'s shape and identity when it has none
   * yet. A new file gets its indexes at once, unless {@code bulkLoad}: then {@link #buildSecondary}
   * is called once the bulk of the rows is in.
   */
  void open(Entity e, boolean bulkLoad) throws SQLException {
    try {
      Files.createDirectories(path.getParent());
    } catch (IOException io) {
      throw new SQLException("cannot create " + path.getParent() + ": " + io.getMessage(), io);
    }
    Connection c = SqliteConnections.openWriter(path);
    try {
      try (Statement st = c.createStatement()) {
        st.execute(CacheSchema.createMetaTable());
      }
      var raw = CacheMeta.readRaw(c);
      boolean created = !raw.containsKey(CacheSchema.META_SHAPE_HASH);
      CacheMeta m = created ? CacheMeta.initialize(c, entity, e) : CacheMeta.of(raw);
      if (created && !bulkLoad) {
        buildSecondary(c, m);
      }
      upsert = c.prepareStatement(CacheSchema.upsert(entity, m.shape()));
      delete = c.prepareStatement(CacheSchema.delete(entity));
      metaUpsert = c.prepareStatement(CacheSchema.upsertMeta());
      connection = c;
      meta = m;
    } catch (SQLException | RuntimeException ex) {
      SqliteConnections.closeQuietly(Arrays.asList(upsert, delete, metaUpsert, c));
      upsert = null;
      delete = null;
      metaUpsert = null;
      throw ex;
    }
  }

  /**
   * Applies {@code rows} (id order) and records the last id as {@code last_oplog_id}, in one
   * transaction. Rows at or below the stored {@code last_oplog_id} are skipped. Values are bound
   * with the file's shape: {@code data} is keyed by column name, a missing column is NULL.
   */
  CacheDb.ApplyOutcome apply(List<Oplog> rows) throws SQLException {
    long last = meta.lastOplogId();
    int applied = 0;
    int skipped = 0;
    int nulled = 0;
    List<Column> cols = meta.shape().columns();
    int n = cols.size();
    connection.setAutoCommit(false);
    try {
      // consecutive rows of one operation go out as one JDBC batch (one native call); order is kept
      Operation pending = null;
      for (Oplog row : rows) {
        if (row.id() <= last) {
          skipped++;
          continue;
        }
        if (row.entity() != null && !row.entity().equals(entity)) {
          throw CacheException.invalid(
              "oplog row " + row.id() + " belongs to " + row.entity() + ", not " + entity);
        }
        if (row.docId() == null) {
          throw CacheException.invalid("oplog row " + row.id() + " has no doc_id");
        }
        if (pending != null && pending != row.operation()) {
          flush(pending);
        }
        pending = row.operation();
        if (row.operation() == Operation.Delete) {
          delete.setString(1, row.docId());
          delete.addBatch();
        } else {
          nulled += CacheSchema.bindUpsert(upsert, cols, row.docId(), row.data(), row.id());
          upsert.addBatch();
        }
        last = row.id();
        applied++;
      }
      if (pending != null) {
        flush(pending);
      }
      if (applied > 0) {
        CacheMeta.put(metaUpsert, CacheSchema.META_LAST_OPLOG_ID, Long.toString(last));
      }
      connection.commit();
    } catch (SQLException | RuntimeException ex) {
      try {
        upsert.clearBatch();
        delete.clearBatch();
        connection.rollback();
      } catch (SQLException suppressed) {
        ex.addSuppressed(suppressed);
      }
      if (ex instanceof SQLException sql && CacheIndexes.isUniqueViolation(sql)) {
        throw new UniqueViolationException(
            "a batch of "
                + rows.size()
                + " row(s) would violate a unique index of "
                + entity
                + ", nothing of it was written: "
                + sql.getMessage(),
            sql);
      }
      throw ex;
    } finally {
      connection.setAutoCommit(true);
    }
    meta = meta.withLastOplogId(last);
    return new CacheDb.ApplyOutcome(last, applied, skipped, nulled);
  }

  /**
   * Creates the shape's secondary structures (indexes, the full-text table) in one transaction; a
   * unique index the rows violate throws {@link UniqueViolationException} and leaves the file
   * without any of them.
   */
  void buildSecondary() throws SQLException {
    buildSecondary(connection, meta);
  }

  private void buildSecondary(Connection c, CacheMeta m) throws SQLException {
    if (m.shape() == null) {
      return;
    }
    c.setAutoCommit(false);
    try {
      CacheIndexes.createAll(c, entity, m.shape());
      CacheSearch.createAll(c, entity, m.shape());
      c.commit();
    } catch (SQLException | RuntimeException ex) {
      try {
        c.rollback();
      } catch (SQLException suppressed) {
        ex.addSuppressed(suppressed);
      }
      throw ex;
    } finally {
      c.setAutoCommit(true);
    }
  }

  private void flush(Operation op) throws SQLException {
    (op == Operation.Delete ? delete : upsert).executeBatch();
  }

  /**
   * For a rebuild file, which nobody reads before it is moved into place and which is deleted, not
   * used, after a crash: its page commits skip the fsync ({@code synchronous = OFF}; a commit per
   * page of 2,000 rows paid one fsync each). {@link #finishForMove} syncs everything once before
   * the move.
   */
  void unsyncedUntilMove() throws SQLException {
    try (Statement st = connection.createStatement()) {
      st.execute("PRAGMA synchronous = OFF");
    }
  }

  /**
   * Makes a (rebuilt) file self-contained for a move: checkpoints the whole WAL into the main file
   * and closes it (the last connection to close removes the -wal and -shm files). The file stays in
   * WAL mode, so readers that open it after the move never meet a rollback-journal database.
   */
  void finishForMove() throws SQLException {
    if (connection != null) {
      try (Statement st = connection.createStatement()) {
        // the checkpoint syncs the WAL and then the main file (even after unsyncedUntilMove)
        st.execute("PRAGMA synchronous = FULL");
      }
      try (Statement st = connection.createStatement();
          ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(TRUNCATE)")) {
        if (rs.next() && rs.getInt(1) != 0) {
          throw new SQLException("could not checkpoint " + path + " before moving it (busy)");
        }
      }
    }
    close();
  }

  void close() {
    SqliteConnections.closeQuietly(Arrays.asList(upsert, delete, metaUpsert, connection));
    upsert = null;
    delete = null;
    metaUpsert = null;
    connection = null;
    meta = null;
  }
}
