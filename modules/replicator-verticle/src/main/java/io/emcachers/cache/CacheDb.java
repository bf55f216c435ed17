package io.emcachers.cache;

import io.emcachers.core.model.Entity;
import io.emcachers.core.model.Oplog;
import io.emcachers.core.model.Shape;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SQLite cache file and its connections: a writer (applies batches), a read-only reader (doc,
 * page, query and info reads) and a spare read-only reader that only verification compares use when
 * the reader is busy, so the compares of two pages read at once. In WAL mode readers never block
 * the writer and see the last committed batch. Every method blocks: call it on a worker thread with
 * the matching lock held — {@link #writeLock} for writer methods, {@link #readLock} for reader
 * methods, {@link #spareLock} for the spare reader, all three (writer first) to close, drop or
 * replace the file. Connections open on demand and are closed when idle.
 */
public final class CacheDb {

  private static final Logger LOG = LoggerFactory.getLogger(CacheDb.class);

  /**
   * Outcome of one apply: the file's last_oplog_id after it, rows applied, skipped, values nulled.
   */
  public record ApplyOutcome(long lastOplogId, int applied, int skipped, int nulled) {}

  private final String entity;
  private final Path path;
  final ReentrantLock writeLock = new ReentrantLock();
  final ReentrantLock readLock = new ReentrantLock();
  final ReentrantLock spareLock = new ReentrantLock();

  // writer side (writeLock)
  private final CacheWriter writer;

  // reader side (readLock) and spare reader (spareLock)
  private final ReadSlot reader = new ReadSlot();
  private final ReadSlot spare = new ReadSlot();

  private volatile long lastUsedNanos = System.nanoTime();
  private volatile boolean retired;
  private volatile long knownLastOplogId;

  public CacheDb(String entity, Path path) {
    this.entity = entity;
    this.path = path;
    this.writer = new CacheWriter(entity, path);
  }

  public String entity() {
    return entity;
  }

  public Path path() {
    return path;
  }

  public boolean exists() {
    return Files.exists(path);
  }

  /** True once this instance was dropped: callers fetch a fresh one from the registry. */
  public boolean retired() {
    return retired;
  }

  void retire() {
    retired = true;
  }

  public long lastUsedNanos() {
    return lastUsedNanos;
  }

  private void touch() {
    lastUsedNanos = System.nanoTime();
  }

  /** Open JDBC connections of this cache (0 to 3); racy read for reporting. */
  public int openConnections() {
    return (writer.isOpen() ? 1 : 0) + (reader.isOpen() ? 1 : 0) + (spare.isOpen() ? 1 : 0);
  }

  /** The last_oplog_id this process last saw committed or read (0 when unknown). */
  public long knownLastOplogId() {
    return knownLastOplogId;
  }

  // ---------------------------------------------------------------- writer side

  /**
   * The file's metadata as the writer sees it (write lock held): from the open writer, else read
   * from the file; null when the file does not exist.
   */
  CacheMeta fileMeta() throws SQLException {
    if (writer.isOpen()) {
      return writer.meta();
    }
    if (!exists()) {
      return null;
    }
    try (Connection c = SqliteConnections.openReadOnly(path)) {
      return CacheMeta.read(c);
    }
  }

  /**
   * Opens the writer, creating the file with {@code e}'s shape and identity when it does not exist.
   * With {@code checkIdentity}, throws {@link IdentityMismatchException} when the file is not a
   * cache of {@code e} ({@link CacheIdentity#mismatch}: another shape, incarnation or doc-id rule)
   * and {@code e} is not older than the entity version the file was built for (an older entity
   * snapshot is applied with the file's shape instead: rows are keyed by column name).
   */
  void openWriter(Entity e, boolean checkIdentity) throws SQLException {
    openWriter(e, checkIdentity, false);
  }

  /**
   * {@link #openWriter(Entity, boolean)}; with {@code bulkLoad} a new file gets its indexes only
   * from {@link #buildSecondary} (a rebuild file, after its bulk load).
   */
  void openWriter(Entity e, boolean checkIdentity, boolean bulkLoad) throws SQLException {
    if (!writer.isOpen()) {
      writer.open(e, bulkLoad);
      knownLastOplogId = writer.meta().lastOplogId();
    }
    String mismatch = checkIdentity ? CacheIdentity.mismatch(writer.meta(), e) : null;
    if (mismatch != null) {
      throw new IdentityMismatchException(entity, mismatch);
    }
  }

  /**
   * Applies {@code rows} (id order) and records the last id as {@code last_oplog_id}, in one
   * transaction ({@link CacheWriter#apply}); write lock held.
   */
  public ApplyOutcome apply(Entity e, List<Oplog> rows, boolean checkIdentity) throws SQLException {
    openWriter(e, checkIdentity);
    touch();
    ApplyOutcome out = writer.apply(rows);
    knownLastOplogId = out.lastOplogId();
    return out;
  }

  /**
   * Checkpoints and closes the writer so the file can be moved ({@link CacheWriter#finishForMove});
   * write lock held.
   */
  void finishForMove() throws SQLException {
    writer.finishForMove();
  }

  /**
   * Creates the shape's indexes once a rebuild's bulk load is in ({@link
   * CacheWriter#buildSecondary}); write lock held.
   */
  void buildSecondary() throws SQLException {
    writer.buildSecondary();
  }

  /** A rebuild file's writer: see {@link CacheWriter#unsyncedUntilMove}. */
  void unsyncedUntilMove() throws SQLException {
    writer.unsyncedUntilMove();
  }

  // ---------------------------------------------------------------- reader side

  /**
   * The read-only connection, opened on demand (read lock held); NOT_FOUND when there is no file.
   */
  Connection reader() throws SQLException {
    return reader.connection();
  }

  /**
   * The spare read-only connection, opened on demand (spare lock held); NOT_FOUND when there is no
   * file. Its shape: {@link #spareShape()}.
   */
  Connection spareReader() throws SQLException {
    return spare.connection();
  }

  /** The shape of the file the spare reader has open (spare lock held, after opening it). */
  Shape spareShape() {
    return spare.shape;
  }

  /** One read-only connection, opened on demand, and the shape of the file it has open. */
  private final class ReadSlot {
    private Connection connection;
    private Shape shape;

    boolean isOpen() {
      return connection != null;
    }

    Connection connection() throws SQLException {
      if (connection == null) {
        Opened o = openReader();
        connection = o.connection();
        shape = o.shape();
      }
      touch();
      return connection;
    }

    void close() {
      Connection c = connection;
      connection = null;
      shape = null;
      if (c != null) {
        SqliteConnections.closeQuietly(List.of(c));
      }
    }
  }

  /** A read-only connection just opened, with the shape its file holds. */
  private record Opened(Connection connection, Shape shape) {}

  private Opened openReader() throws SQLException {
    if (!exists()) {
      throw CacheException.notFound(entity);
    }
    Connection c = SqliteConnections.openReadOnly(path);
    try {
      CacheMeta m = CacheMeta.read(c);
      if (m.shape() == null) {
        throw new CacheException(
            CacheException.Kind.UNAVAILABLE, "cache of entity " + entity + " is being initialised");
      }
      knownLastOplogId = Math.max(knownLastOplogId, m.lastOplogId());
      return new Opened(c, m.shape());
    } catch (SQLException | RuntimeException ex) {
      SqliteConnections.closeQuietly(List.of(c));
      throw ex;
    }
  }

  /** The shape of the file the reader has open (read lock held, after {@link #reader()}). */
  Shape readerShape() {
    return reader.shape;
  }

  /**
   * Up to {@code limit} rows with {@code _doc_id > after} (from the start when null), doc id order;
   * {@code truncated} when more rows follow.
   */
  RowJson.Rows page(String after, int limit) throws SQLException {
    Connection c = reader();
    String id = CacheSchema.quote(CacheSchema.DOC_ID);
    String sql =
        "SELECT * FROM "
            + CacheSchema.quote(entity)
            + (after == null ? "" : " WHERE " + id + " > ?")
            + " ORDER BY "
            + id
            + " LIMIT ?";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      if (after != null) {
        ps.setString(i++, after);
      }
      ps.setInt(i, limit + 1);
      try (ResultSet rs = ps.executeQuery()) {
        return RowJson.readAll(rs, entity, reader.shape, limit, null);
      }
    }
  }

  /** The row of {@code docId}: a list of zero or one rows. */
  public List<JsonObject> doc(String docId) throws SQLException {
    Connection c = reader();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT * FROM "
                + CacheSchema.quote(entity)
                + " WHERE "
                + CacheSchema.quote(CacheSchema.DOC_ID)
                + " = ?")) {
      ps.setString(1, docId);
      try (ResultSet rs = ps.executeQuery()) {
        return RowJson.readAll(rs, entity, reader.shape, 1, null).rows();
      }
    }
  }

  /**
   * Path, last_oplog_id, rows, shape hash, entity version, open connections (read lock held). Uses
   * the open reader, or a temporary connection so asking does not reopen an idle cache.
   */
  public JsonObject info() throws SQLException {
    boolean exists = exists();
    JsonObject info =
        new JsonObject()
            .put("entity", entity)
            .put("path", path.toAbsolutePath().toString())
            .put("exists", exists);
    if (exists) {
      Connection temp = reader.isOpen() ? null : SqliteConnections.openReadOnly(path);
      try {
        Connection c = temp != null ? temp : reader.connection;
        CacheMeta m = CacheMeta.read(c);
        long rows = 0;
        if (m.shape() != null) {
          try (Statement st = c.createStatement();
              ResultSet rs = st.executeQuery("SELECT count(*) FROM " + CacheSchema.quote(entity))) {
            rows = rs.next() ? rs.getLong(1) : 0;
          }
        }
        knownLastOplogId = Math.max(knownLastOplogId, m.lastOplogId());
        info.put("last_oplog_id", m.lastOplogId())
            .put("rows", rows)
            .put("shape_hash", m.shapeHash())
            .put("entity_version", m.entityVersion())
            .put("incarnation", m.incarnation())
            .put("doc_id_rule", m.docIdRule());
      } finally {
        if (temp != null) {
          temp.close();
        }
      }
    }
    int open = openConnections();
    return info.put("open", open > 0).put("connections", open);
  }

  void closeReader() {
    reader.close();
  }

  void closeSpare() {
    spare.close();
  }

  /**
   * Closes both connections when the cache has been unused for {@code idleNanos}; skips it (false)
   * when it is busy right now (a lock is taken).
   */
  boolean closeIfIdle(long idleNanos) {
    long now = System.nanoTime();
    if (openConnections() == 0 || now - lastUsedNanos < idleNanos || !writeLock.tryLock()) {
      return false;
    }
    try {
      if (!readLock.tryLock()) {
        return false;
      }
      try {
        if (!spareLock.tryLock()) {
          return false;
        }
        try {
          if (openConnections() == 0 || now - lastUsedNanos < idleNanos) {
            return false;
          }
          close();
          LOG.info(
              "cache {}: idle for {} ms, connections closed",
              entity,
              TimeUnit.NANOSECONDS.toMillis(now - lastUsedNanos));
          return true;
        } finally {
          spareLock.unlock();
        }
      } finally {
        readLock.unlock();
      }
    } finally {
      writeLock.unlock();
    }
  }

  /** Closes every connection, taking the three locks (writer first). */
  void closeLocked() {
    writeLock.lock();
    readLock.lock();
    spareLock.lock();
    try {
      close();
    } finally {
      spareLock.unlock();
      readLock.unlock();
      writeLock.unlock();
    }
  }

  /** Closes every connection; the three locks held. */
  void close() {
    writer.close();
    closeReader();
    closeSpare();
  }
}
