package io.emcachers.cache;

import io.emcachers.core.bus.BusException;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.model.Column;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.Operation;
import io.emcachers.core.model.Oplog;
import io.emcachers.core.model.Shape;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One SQLite cache file and its two connections: a writer (applies batches) and a read-only reader
 * (doc, page, query and info reads). In WAL mode readers never block the writer and see the last
 * committed batch. Every method blocks: call it on a worker thread with the matching lock held —
 * {@link #writeLock} for writer methods, {@link #readLock} for reader methods, both (writer first)
 * to close, drop or replace the file. Connections open on demand and are closed when idle.
 */
public final class CacheDb {

  /** What {@code _emc_meta} says about the file (incarnation and doc-id rule null in files made before they were recorded). */
  public record Meta(Shape shape, String shapeHash, long entityVersion, long lastOplogId, String incarnation, String docIdRule) {

    Meta withLastOplogId(long last) {
      return new Meta(shape, shapeHash, entityVersion, last, incarnation, docIdRule);
    }
  }

  /** Outcome of one apply: the file's last_oplog_id after it, rows applied, skipped, values nulled. */
  public record ApplyOutcome(long lastOplogId, int applied, int skipped, int nulled) {}

  private final String entity;
  private final Path path;
  final ReentrantLock writeLock = new ReentrantLock();
  final ReentrantLock readLock = new ReentrantLock();

  // writer side (writeLock)
  private Connection writer;
  private PreparedStatement upsert;
  private PreparedStatement delete;
  private PreparedStatement metaUpsert;
  private Meta writerMeta;

  // reader side (readLock)
  private Connection reader;
  private Shape readerShape;

  private volatile long lastUsedNanos = System.nanoTime();
  private volatile boolean retired;
  private volatile long knownLastOplogId;

  public CacheDb(String entity, Path path) {
    this.entity = entity;
    this.path = path;
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

  /** Open JDBC connections of this cache (0, 1 or 2); racy read for reporting. */
  public int openConnections() {
    return (writer != null ? 1 : 0) + (reader != null ? 1 : 0);
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
  Meta fileMeta() throws SQLException {
    if (writer != null) {
      return writerMeta;
    }
    if (!exists()) {
      return null;
    }
    try (Connection c = SqliteConnections.openReadOnly(path)) {
      return metaOf(readMeta(c));
    }
  }

  /**
   * Opens the writer, creating the file with {@code e}'s shape and identity when it does not exist.
   * With {@code checkIdentity}, throws {@link IdentityMismatchException} when the file is not a cache
   * of {@code e} ({@link CacheIdentity#mismatch}: another shape, incarnation or doc-id rule) and
   * {@code e} is not older than the entity version the file was built for (an older entity snapshot
   * is applied with the file's shape instead: rows are keyed by column name).
   */
  void openWriter(Entity e, boolean checkIdentity) throws SQLException {
    if (writer == null) {
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
        Map<String, String> meta = readMeta(c);
        Meta m = meta.containsKey(CacheSchema.META_SHAPE_HASH) ? metaOf(meta) : initialize(c, e);
        upsert = c.prepareStatement(CacheSchema.upsert(entity, m.shape()));
        delete = c.prepareStatement(CacheSchema.delete(entity));
        metaUpsert = c.prepareStatement(CacheSchema.upsertMeta());
        writer = c;
        writerMeta = m;
        knownLastOplogId = m.lastOplogId();
      } catch (SQLException | RuntimeException ex) {
        SqliteConnections.closeQuietly(Arrays.asList(upsert, delete, metaUpsert, c));
        upsert = null;
        delete = null;
        metaUpsert = null;
        throw ex;
      }
    }
    String mismatch = checkIdentity ? CacheIdentity.mismatch(writerMeta, e) : null;
    if (mismatch != null) {
      throw new IdentityMismatchException(entity, mismatch);
    }
  }

  private Meta initialize(Connection c, Entity e) throws SQLException {
    c.setAutoCommit(false);
    try (Statement st = c.createStatement(); PreparedStatement ps = c.prepareStatement(CacheSchema.upsertMeta())) {
      st.execute(CacheSchema.createTable(entity, e.shape()));
      putMeta(ps, CacheSchema.META_ENTITY, entity);
      putMeta(ps, CacheSchema.META_SHAPE_HASH, e.shape().hash());
      putMeta(ps, CacheSchema.META_SHAPE, e.shape().toJson().encode());
      putMeta(ps, CacheSchema.META_ENTITY_VERSION, Long.toString(e.version()));
      putMeta(ps, CacheSchema.META_INCARNATION, CacheSchema.incarnation(e));
      putMeta(ps, CacheSchema.META_DOC_ID_RULE, CacheSchema.DOC_ID_RULE);
      putMeta(ps, CacheSchema.META_LAST_OPLOG_ID, "0");
      c.commit();
    } catch (SQLException ex) {
      c.rollback();
      throw ex;
    } finally {
      c.setAutoCommit(true);
    }
    return new Meta(e.shape(), e.shape().hash(), e.version(), 0, CacheSchema.incarnation(e), CacheSchema.DOC_ID_RULE);
  }

  private static void putMeta(PreparedStatement ps, String key, String value) throws SQLException {
    ps.setString(1, key);
    ps.setString(2, value);
    ps.executeUpdate();
  }

  /**
   * Applies {@code rows} (id order) and records the last id as {@code last_oplog_id}, in one
   * transaction. Rows at or below the stored {@code last_oplog_id} are skipped. Values are bound
   * with the file's shape: {@code data} is keyed by column name, a missing column is NULL.
   */
  public ApplyOutcome apply(Entity e, List<Oplog> rows, boolean checkIdentity) throws SQLException {
    openWriter(e, checkIdentity);
    touch();
    long last = writerMeta.lastOplogId();
    int applied = 0;
    int skipped = 0;
    int nulled = 0;
    List<Column> cols = writerMeta.shape().columns();
    int n = cols.size();
    writer.setAutoCommit(false);
    try {
      // consecutive rows of one operation go out as one JDBC batch (one native call); order is kept
      Operation pending = null;
      for (Oplog row : rows) {
        if (row.id() <= last) {
          skipped++;
          continue;
        }
        if (row.entity() != null && !row.entity().equals(entity)) {
          throw new BusException(ErrorCodes.BAD_REQUEST, "oplog row " + row.id() + " belongs to " + row.entity() + ", not " + entity);
        }
        if (row.docId() == null) {
          throw new BusException(ErrorCodes.BAD_REQUEST, "oplog row " + row.id() + " has no doc_id");
        }
        if (pending != null && pending != row.operation()) {
          flush(pending);
        }
        pending = row.operation();
        if (row.operation() == Operation.Delete) {
          delete.setString(1, row.docId());
          delete.addBatch();
        } else {
          JsonObject data = row.data() == null ? new JsonObject() : row.data();
          upsert.setString(1, row.docId());
          for (int i = 0; i < n; i++) {
            Column c = cols.get(i);
            if (!CacheSchema.bind(upsert, i + 2, c.type(), data.getValue(c.name()))) {
              nulled++;
            }
          }
          upsert.setLong(n + 2, row.id());
          upsert.addBatch();
        }
        last = row.id();
        applied++;
      }
      if (pending != null) {
        flush(pending);
      }
      if (applied > 0) {
        metaUpsert.setString(1, CacheSchema.META_LAST_OPLOG_ID);
        metaUpsert.setString(2, Long.toString(last));
        metaUpsert.executeUpdate();
      }
      writer.commit();
    } catch (SQLException | RuntimeException ex) {
      try {
        upsert.clearBatch();
        delete.clearBatch();
        writer.rollback();
      } catch (SQLException suppressed) {
        ex.addSuppressed(suppressed);
      }
      throw ex;
    } finally {
      writer.setAutoCommit(true);
    }
    writerMeta = writerMeta.withLastOplogId(last);
    knownLastOplogId = last;
    return new ApplyOutcome(last, applied, skipped, nulled);
  }

  private void flush(Operation op) throws SQLException {
    (op == Operation.Delete ? delete : upsert).executeBatch();
  }

  /**
   * Makes a (rebuilt) file self-contained for a move: checkpoints the whole WAL into the main file
   * and closes it (the last connection to close removes the -wal and -shm files). The file stays in
   * WAL mode, so readers that open it after the move never meet a rollback-journal database.
   * Write lock held.
   */
  void finishForMove() throws SQLException {
    if (writer != null) {
      try (Statement st = writer.createStatement(); ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(TRUNCATE)")) {
        if (rs.next() && rs.getInt(1) != 0) {
          throw new SQLException("could not checkpoint " + path + " before moving it (busy)");
        }
      }
    }
    closeWriter();
  }

  void closeWriter() {
    SqliteConnections.closeQuietly(Arrays.asList(upsert, delete, metaUpsert, writer));
    upsert = null;
    delete = null;
    metaUpsert = null;
    writer = null;
    writerMeta = null;
  }

  // ---------------------------------------------------------------- reader side

  /** The read-only connection, opened on demand (read lock held); NOT_FOUND when there is no file. */
  Connection reader() throws SQLException {
    if (reader == null) {
      if (!exists()) {
        throw BusException.notFound("no cache of entity " + entity + " on this node");
      }
      Connection c = SqliteConnections.openReadOnly(path);
      try {
        Meta m = metaOf(readMeta(c));
        if (m.shape() == null) {
          throw new BusException(ErrorCodes.UNAVAILABLE, "cache of entity " + entity + " is being initialised");
        }
        readerShape = m.shape();
        knownLastOplogId = Math.max(knownLastOplogId, m.lastOplogId());
      } catch (SQLException | RuntimeException ex) {
        SqliteConnections.closeQuietly(List.of(c));
        throw ex;
      }
      reader = c;
    }
    touch();
    return reader;
  }

  /** The shape of the file the reader has open (read lock held, after {@link #reader()}). */
  Shape readerShape() {
    return readerShape;
  }

  /**
   * Up to {@code limit} rows with {@code _doc_id > after} (from the start when null), doc id order;
   * {@code truncated} when more rows follow.
   */
  RowJson.Rows page(String after, int limit) throws SQLException {
    Connection c = reader();
    String id = CacheSchema.quote(CacheSchema.DOC_ID);
    String sql = "SELECT * FROM " + CacheSchema.quote(entity) + (after == null ? "" : " WHERE " + id + " > ?") + " ORDER BY " + id + " LIMIT ?";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      if (after != null) {
        ps.setString(i++, after);
      }
      ps.setInt(i, limit + 1);
      try (ResultSet rs = ps.executeQuery()) {
        return RowJson.readAll(rs, entity, readerShape, limit, null);
      }
    }
  }

  /** The row of {@code docId}: a list of zero or one rows. */
  public List<JsonObject> doc(String docId) throws SQLException {
    Connection c = reader();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT * FROM " + CacheSchema.quote(entity) + " WHERE " + CacheSchema.quote(CacheSchema.DOC_ID) + " = ?")) {
      ps.setString(1, docId);
      try (ResultSet rs = ps.executeQuery()) {
        return RowJson.readAll(rs, entity, readerShape, 1, null).rows();
      }
    }
  }

  /**
   * Path, last_oplog_id, rows, shape hash, entity version, open connections (read lock held). Uses
   * the open reader, or a temporary connection so asking does not reopen an idle cache.
   */
  public JsonObject info() throws SQLException {
    boolean exists = exists();
    JsonObject info = new JsonObject().put("entity", entity).put("path", path.toAbsolutePath().toString()).put("exists", exists);
    if (exists) {
      Connection temp = reader == null ? SqliteConnections.openReadOnly(path) : null;
      try {
        Connection c = temp != null ? temp : reader;
        Meta m = metaOf(readMeta(c));
        long rows = 0;
        if (m.shape() != null) {
          try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM " + CacheSchema.quote(entity))) {
            rows = rs.next() ? rs.getLong(1) : 0;
          }
        }
        knownLastOplogId = Math.max(knownLastOplogId, m.lastOplogId());
        info.put("last_oplog_id", m.lastOplogId()).put("rows", rows).put("shape_hash", m.shapeHash()).put("entity_version", m.entityVersion())
            .put("incarnation", m.incarnation()).put("doc_id_rule", m.docIdRule());
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
    Connection r = reader;
    reader = null;
    readerShape = null;
    if (r != null) {
      SqliteConnections.closeQuietly(List.of(r));
    }
  }

  /** Closes both connections; both locks held. */
  void close() {
    closeWriter();
    closeReader();
  }

  // ---------------------------------------------------------------- metadata

  static Map<String, String> readMeta(Connection c) throws SQLException {
    Map<String, String> meta = new HashMap<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT key, value FROM " + CacheSchema.META_TABLE)) {
      while (rs.next()) {
        meta.put(rs.getString(1), rs.getString(2));
      }
    } catch (SQLException e) {
      if (e.getMessage() != null && e.getMessage().contains("no such table")) {
        return meta;
      }
      throw e;
    }
    return meta;
  }

  static Meta metaOf(Map<String, String> meta) {
    String shapeJson = meta.get(CacheSchema.META_SHAPE);
    return new Meta(
        shapeJson == null ? null : Shape.fromJson(new JsonObject(shapeJson)),
        meta.get(CacheSchema.META_SHAPE_HASH),
        parseLong(meta.get(CacheSchema.META_ENTITY_VERSION)),
        parseLong(meta.get(CacheSchema.META_LAST_OPLOG_ID)),
        meta.get(CacheSchema.META_INCARNATION),
        meta.get(CacheSchema.META_DOC_ID_RULE));
  }

  private static long parseLong(String s) {
    try {
      return s == null ? 0 : Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
