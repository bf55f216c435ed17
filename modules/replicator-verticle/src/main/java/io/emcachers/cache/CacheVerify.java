package io.emcachers.cache;

import io.emcachers.core.messages.CacheCompareReply;
import io.emcachers.core.messages.CacheCompareRequest.SourceRow;
import io.emcachers.core.messages.CacheDigestReply;
import io.emcachers.core.messages.CacheIdsReply;
import io.emcachers.core.messages.CacheLocalRepairReply;
import io.emcachers.core.model.Column;
import io.emcachers.core.model.Operation;
import io.emcachers.core.model.Oplog;
import io.emcachers.core.model.Shape;
import io.emcachers.core.verify.VerifyHash;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

/**
 * The SQL of the verification support (issue 11): compares source rows with cached rows, digests
 * and lists a cache's doc ids by bucket ({@link VerifyHash}), restores damaged rows from their
 * oplog rows. Every method blocks (worker threads only) and throws {@link CacheException} for what
 * the caller should see; bounds are checked by the caller ({@link CacheVerifyHandlers}).
 *
 * <p>Compare maps each source row to column values with exactly the write path: the file's shape,
 * {@link CacheSchema#createTable}, {@link CacheSchema#upsert} and {@link #bindUpsert} (the binding
 * {@link CacheWriter#apply} does) into a scratch in-memory table, then compares storage class and
 * value of each column with the cached row, read on the cache's reader connection in one read
 * transaction together with {@code last_oplog_id}. Digest and ids scan on a read-only connection of
 * their own (so a long scan does not hold up the cache's other reads), in one read transaction.
 */
final class CacheVerify {

  private static final Logger LOG = LoggerFactory.getLogger(CacheVerify.class);

  /** Rows compared per IN (...) lookup. */
  private static final int LOOKUP_CHUNK = 500;

  /** Doc ids one ids request scans at most before it replies with a {@code nextAfter}. */
  static final int IDS_SCAN_BUDGET = 200_000;

  private final CacheRegistry registry;

  CacheVerify(CacheRegistry registry) {
    this.registry = registry;
  }

  // ---------------------------------------------------------------- the write mapping

  /**
   * Binds one Upsert row for {@link CacheSchema#upsert}: doc id, each of {@code cols} from {@code
   * data} by column name ({@link CacheSchema#bind}; a missing column or null data is NULL), oplog
   * id — the binding {@link CacheWriter#apply} does. Returns how many values were nulled.
   */
  static int bindUpsert(
      PreparedStatement ps, List<Column> cols, String docId, JsonObject data, long oplogId)
      throws SQLException {
    JsonObject d = data == null ? new JsonObject() : data;
    int nulled = 0;
    ps.setString(1, docId);
    for (int i = 0; i < cols.size(); i++) {
      Column c = cols.get(i);
      if (!CacheSchema.bind(ps, i + 2, c.type(), d.getValue(c.name()))) {
        nulled++;
      }
    }
    ps.setLong(cols.size() + 2, oplogId);
    return nulled;
  }

  // ---------------------------------------------------------------- compare

  CacheCompareReply compare(String name, List<SourceRow> rows) throws SQLException {
    Set<String> seen = new HashSet<>();
    for (SourceRow r : rows) {
      if (r == null || r.docId() == null) {
        throw CacheException.invalid("every source row needs a doc_id");
      }
      if (!seen.add(r.docId())) {
        throw CacheException.invalid("doc_id " + r.docId() + " appears twice in the request");
      }
    }
    return registry.with(
        name,
        false,
        true,
        db -> {
          try {
            return compareLocked(db, rows);
          } catch (SQLException e) {
            db.closeReader(); // a failed connection is reopened on the next read
            throw e;
          }
        });
  }

  private CacheCompareReply compareLocked(CacheDb db, List<SourceRow> rows) throws SQLException {
    Connection c = db.reader();
    Shape shape = db.readerShape();
    Map<String, Object[]> expected = expectedValues(db.entity(), shape, rows);
    long last;
    Map<String, Object[]> stored;
    c.setAutoCommit(false);
    try {
      last = lastOplogId(c);
      stored = storedValues(c, db.entity(), shape, seenIds(rows));
      c.commit();
    } finally {
      c.setAutoCommit(true);
    }
    long matched = 0;
    List<String> missing = new ArrayList<>();
    List<String> different = new ArrayList<>();
    for (SourceRow r : rows) {
      Object[] s = stored.get(r.docId());
      if (s == null) {
        missing.add(r.docId());
      } else if (Arrays.deepEquals(s, expected.get(r.docId()))) {
        matched++;
      } else {
        different.add(r.docId());
      }
    }
    return new CacheCompareReply(last, matched, missing, different);
  }

  private static List<String> seenIds(List<SourceRow> rows) {
    return rows.stream().map(SourceRow::docId).toList();
  }

  /** What applying an Upsert of each row would store, by doc id (a scratch in-memory table). */
  private static Map<String, Object[]> expectedValues(
      String entity, Shape shape, List<SourceRow> rows) throws SQLException {
    try (Connection m = new SQLiteConfig().createConnection("jdbc:sqlite::memory:")) {
      try (Statement st = m.createStatement()) {
        st.execute(CacheSchema.createTable(entity, shape));
      }
      m.setAutoCommit(false);
      try (PreparedStatement ps = m.prepareStatement(CacheSchema.upsert(entity, shape))) {
        for (SourceRow r : rows) {
          bindUpsert(ps, shape.columns(), r.docId(), r.data(), 0);
          ps.addBatch();
        }
        ps.executeBatch();
      }
      m.commit();
      Map<String, Object[]> out = new HashMap<>();
      try (Statement st = m.createStatement();
          ResultSet rs = st.executeQuery(selectColumns(entity, shape))) {
        while (rs.next()) {
          out.put(rs.getString(1), values(rs, shape));
        }
      }
      return out;
    }
  }

  private static Map<String, Object[]> storedValues(
      Connection c, String entity, Shape shape, Collection<String> ids) throws SQLException {
    Map<String, Object[]> out = new HashMap<>();
    List<String> all = new ArrayList<>(ids);
    for (int from = 0; from < all.size(); from += LOOKUP_CHUNK) {
      List<String> chunk = all.subList(from, Math.min(all.size(), from + LOOKUP_CHUNK));
      String sql =
          selectColumns(entity, shape)
              + " WHERE "
              + CacheSchema.quote(CacheSchema.DOC_ID)
              + " IN ("
              + String.join(", ", java.util.Collections.nCopies(chunk.size(), "?"))
              + ")";
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        for (int i = 0; i < chunk.size(); i++) {
          ps.setString(i + 1, chunk.get(i));
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.put(rs.getString(1), values(rs, shape));
          }
        }
      }
    }
    return out;
  }

  /** {@code SELECT _doc_id, <shape columns> FROM "<entity>"}. */
  private static String selectColumns(String entity, Shape shape) {
    StringBuilder sb = new StringBuilder("SELECT ").append(CacheSchema.quote(CacheSchema.DOC_ID));
    for (Column col : shape.columns()) {
      sb.append(", ").append(CacheSchema.quote(col.name()));
    }
    return sb.append(" FROM ").append(CacheSchema.quote(entity)).toString();
  }

  /**
   * The shape columns of the current row as comparable values: storage class and value (integers as
   * Long, reals as Double, text as String, blobs as byte[], NULL as null).
   */
  private static Object[] values(ResultSet rs, Shape shape) throws SQLException {
    int n = shape.columns().size();
    Object[] out = new Object[n];
    for (int i = 0; i < n; i++) {
      Object v = rs.getObject(i + 2);
      out[i] = v instanceof Integer x ? Long.valueOf(x) : v;
    }
    return out;
  }

  // ---------------------------------------------------------------- digest and ids

  CacheDigestReply digest(String name, int buckets) throws SQLException {
    long[] counts = new long[buckets];
    long[] sums = new long[buckets];
    long last =
        scan(
            name,
            null,
            rs -> {
              while (rs.next()) {
                long h = VerifyHash.hash(rs.getString(1));
                int b = (int) Math.floorMod(h, (long) buckets);
                counts[b]++;
                sums[b] += h;
              }
              return null;
            });
    return new CacheDigestReply(
        last, Arrays.stream(counts).boxed().toList(), Arrays.stream(sums).boxed().toList());
  }

  CacheIdsReply ids(
      String name, int buckets, BitSet bucketIds, String afterDocId, int limit, int scanBudget)
      throws SQLException {
    List<String> out = new ArrayList<>();
    String[] next = new String[1];
    scan(
        name,
        afterDocId,
        rs -> {
          String last = null;
          int scanned = 0;
          while (rs.next()) {
            String id = rs.getString(1);
            if (bucketIds.get(VerifyHash.bucket(id, buckets))) {
              if (out.size() == limit) {
                next[0] = last; // another match follows: the next page starts at it
                return null;
              }
              out.add(id);
            }
            last = id;
            if (++scanned >= scanBudget) {
              next[0] = rs.next() ? last : null;
              return null;
            }
          }
          return null;
        });
    return new CacheIdsReply(out, next[0]);
  }

  @FunctionalInterface
  private interface RowsReader {
    Void read(ResultSet rs) throws SQLException;
  }

  /**
   * Runs {@code reader} over the cache's doc ids in {@code _doc_id} order (after {@code after} when
   * set) on a read-only connection of its own, in one read transaction; returns the {@code
   * last_oplog_id} of that transaction. NOT_FOUND when the entity has no cache here.
   */
  private long scan(String name, String after, RowsReader reader) throws SQLException {
    Path path =
        registry.with(
            name,
            false,
            true,
            db -> {
              if (!db.exists()) {
                throw CacheException.notFound(name);
              }
              return db.path();
            });
    Connection c;
    try {
      c = SqliteConnections.openReadOnly(path);
    } catch (SQLException e) {
      if (!Files.exists(path)) {
        throw CacheException.notFound(name); // dropped meanwhile
      }
      throw e;
    }
    try (c) {
      CacheMeta meta = CacheMeta.read(c);
      if (meta.shape() == null) {
        throw new CacheException(
            CacheException.Kind.UNAVAILABLE, "cache of entity " + name + " is being initialised");
      }
      c.setAutoCommit(false);
      String id = CacheSchema.quote(CacheSchema.DOC_ID);
      String sql =
          "SELECT "
              + id
              + " FROM "
              + CacheSchema.quote(name)
              + (after == null ? "" : " WHERE " + id + " > ?")
              + " ORDER BY "
              + id;
      long last = lastOplogId(c);
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        if (after != null) {
          ps.setString(1, after);
        }
        try (ResultSet rs = ps.executeQuery()) {
          reader.read(rs);
        }
      }
      c.commit();
      return last;
    }
  }

  private static long lastOplogId(Connection c) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT value FROM " + CacheSchema.META_TABLE + " WHERE key = ?")) {
      ps.setString(1, CacheSchema.META_LAST_OPLOG_ID);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getString(1) != null ? Long.parseLong(rs.getString(1).trim()) : 0;
      }
    }
  }

  // ---------------------------------------------------------------- local repair

  /**
   * Restores the effect of already-applied oplog rows ({@code id <= last_oplog_id}) in the cache
   * file, under the cache's write lock (no apply runs meanwhile) and in one transaction on a writer
   * connection of its own: an Upsert writes its data with {@code _oplog_id} = its id, a Delete
   * removes the row — unless the cached row was written by a later oplog row. {@code last_oplog_id}
   * is left as it is.
   */
  CacheLocalRepairReply repairLocal(String name, List<Oplog> rows) throws SQLException {
    for (Oplog r : rows) {
      if (r == null || r.docId() == null || r.operation() == null) {
        throw CacheException.invalid("every oplog row needs an operation and a doc_id");
      }
      if (r.entity() != null && !r.entity().equals(name)) {
        throw CacheException.invalid(
            "oplog row " + r.id() + " belongs to " + r.entity() + ", not " + name);
      }
    }
    return registry.with(
        name,
        true,
        false,
        db -> {
          if (!db.exists()) {
            throw CacheException.notFound(name);
          }
          try (Connection c = SqliteConnections.openWriter(db.path())) {
            return repairLocked(c, name, rows);
          }
        });
  }

  private static CacheLocalRepairReply repairLocked(Connection c, String name, List<Oplog> rows)
      throws SQLException {
    CacheMeta meta = CacheMeta.read(c);
    Shape shape = meta.shape();
    if (shape == null) {
      throw new CacheException(
          CacheException.Kind.UNAVAILABLE, "cache of entity " + name + " is being initialised");
    }
    long repaired = 0;
    long skipped = 0;
    c.setAutoCommit(false);
    try (PreparedStatement current =
            c.prepareStatement(
                "SELECT "
                    + CacheSchema.quote(CacheSchema.OPLOG_ID)
                    + " FROM "
                    + CacheSchema.quote(name)
                    + " WHERE "
                    + CacheSchema.quote(CacheSchema.DOC_ID)
                    + " = ?");
        PreparedStatement upsert = c.prepareStatement(CacheSchema.upsert(name, shape));
        PreparedStatement delete = c.prepareStatement(CacheSchema.delete(name))) {
      long last = lastOplogId(c);
      for (Oplog r : rows) {
        if (r.id() > last || newerRow(current, r)) {
          skipped++;
          continue;
        }
        if (r.operation() == Operation.Delete) {
          delete.setString(1, r.docId());
          delete.executeUpdate();
        } else {
          bindUpsert(upsert, shape.columns(), r.docId(), r.data(), r.id());
          upsert.executeUpdate();
        }
        repaired++;
      }
      c.commit();
    } catch (SQLException | RuntimeException e) {
      try {
        c.rollback();
      } catch (SQLException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    LOG.info(
        "cache {}: local repair restored {} row(s), skipped {} (not applied yet or newer)",
        name,
        repaired,
        skipped);
    return new CacheLocalRepairReply(repaired, skipped);
  }

  /** Whether the cached row of {@code r}'s doc was written by a later oplog row than {@code r}. */
  private static boolean newerRow(PreparedStatement current, Oplog r) throws SQLException {
    current.setString(1, r.docId());
    try (ResultSet rs = current.executeQuery()) {
      if (!rs.next()) {
        return false;
      }
      long stored = rs.getLong(1);
      return !rs.wasNull() && stored > r.id();
    }
  }
}
