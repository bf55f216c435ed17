package io.emcachers.cache;

import io.emcachers.core.messages.CacheCompareReply;
import io.emcachers.core.messages.CacheCompareRequest.SourceRow;
import io.emcachers.core.model.Column;
import io.emcachers.core.model.DataType;
import io.emcachers.core.model.Shape;
import io.emcachers.core.verify.JsonValues;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.sqlite.SQLiteConfig;

/**
 * Verification support (issue 11): compares source rows with cached rows, read on the cache's
 * reader connection in one read transaction together with {@code last_oplog_id}. A row matches when
 * its stored values (storage class and value of each column) equal the values the write path binds
 * for the source row ({@link CacheSchema#boundValue}, the binding {@link CacheWriter#apply} does).
 * A row that differs from those is settled exactly: mapped with the write path itself (the file's
 * shape, {@link CacheSchema#createTable}, {@link CacheSchema#upsert} and {@link
 * CacheSchema#bindUpsert}) into a scratch in-memory table and compared again, so a value SQLite
 * converts on the way in never reads as a difference. JSON text compares as JSON values ({@link
 * JsonValues}: the oplog's jsonb re-spells key order and numbers). Blocks (worker threads only);
 * throws {@link CacheException} for what the caller should see; bounds are checked by {@link
 * CacheVerifyHandlers}.
 */
final class CacheCompare {

  /** Rows compared per IN (...) lookup. */
  private static final int LOOKUP_CHUNK = 500;

  private final CacheRegistry registry;

  CacheCompare(CacheRegistry registry) {
    this.registry = registry;
  }

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
    // only the read holds the cache's reader; the matching runs outside it, so the compares of
    // several pages run on as many workers at once
    Stored read = registry.withAnyReader(name, (c, shape) -> readStored(c, name, shape, rows));
    return match(read, rows);
  }

  /** What one read transaction of the reader saw: the shape, last_oplog_id and the rows. */
  private record Stored(String entity, Shape shape, long last, Map<String, Object[]> rows) {}

  private static Stored readStored(Connection c, String entity, Shape shape, List<SourceRow> rows)
      throws SQLException {
    c.setAutoCommit(false);
    try {
      long last = CacheScans.lastOplogId(c);
      Map<String, Object[]> stored = storedValues(c, entity, shape, seenIds(rows));
      c.commit();
      return new Stored(entity, shape, last, stored);
    } finally {
      c.setAutoCommit(true);
    }
  }

  private static CacheCompareReply match(Stored read, List<SourceRow> rows) throws SQLException {
    Shape shape = read.shape();
    Map<String, Object[]> stored = read.rows();
    long last = read.last();
    long matched = 0;
    List<String> missing = new ArrayList<>();
    List<SourceRow> unsettled = new ArrayList<>();
    for (SourceRow r : rows) {
      Object[] s = stored.get(asStored(r.docId()));
      if (s == null) {
        missing.add(r.docId());
      } else if (sameRow(shape, r, s, boundValues(shape, r))) {
        matched++;
      } else {
        unsettled.add(r);
      }
    }
    // The bound values equal what SQLite stores for all but a few values (see boundValues); a row
    // that differs from them is settled by the exact path: a scratch table written like the cache.
    List<String> different = new ArrayList<>();
    if (!unsettled.isEmpty()) {
      Map<String, Object[]> expected = expectedValues(read.entity(), shape, unsettled);
      for (SourceRow r : unsettled) {
        if (sameRow(shape, r, stored.get(asStored(r.docId())), expected.get(asStored(r.docId())))) {
          matched++;
        } else {
          different.add(r.docId());
        }
      }
    }
    return new CacheCompareReply(last, matched, missing, different);
  }

  /**
   * The values {@link CacheSchema#bindUpsert} binds for {@code row}, as a read of the stored row
   * returns them when SQLite keeps them unchanged (it does for every value of the declared types
   * but a REAL -0.0 and text that is not valid UTF-16): the fast path, no write at all.
   */
  private static Object[] boundValues(Shape shape, SourceRow row) {
    List<Column> cols = shape.columns();
    Object[] out = new Object[cols.size()];
    Map<String, Object> data = row.data() == null ? Map.of() : row.data().getMap();
    // the projection writes the columns in shape order: walk the entries alongside the columns
    // and look a column up by name only where they do not line up
    java.util.Iterator<Map.Entry<String, Object>> entries = data.entrySet().iterator();
    for (int i = 0; i < out.length; i++) {
      Column col = cols.get(i);
      Object raw;
      Map.Entry<String, Object> e = entries.hasNext() ? entries.next() : null;
      if (e != null && col.name().equals(e.getKey())) {
        raw = e.getValue();
      } else {
        raw = data.get(col.name());
        entries = java.util.Collections.emptyIterator();
      }
      Object v = CacheSchema.boundValue(col.type(), plain(raw));
      out[i] = v == CacheSchema.UNFIT ? null : v;
    }
    return out;
  }

  /** A raw value as {@code JsonObject.getValue} returns it (maps and lists wrapped, etc.). */
  private static Object plain(Object raw) {
    if (raw == null
        || raw instanceof String
        || raw instanceof Long
        || raw instanceof Integer
        || raw instanceof Double
        || raw instanceof Boolean
        || raw instanceof JsonObject
        || raw instanceof JsonArray) {
      return raw; // the usual values, by class checks alone (wrapJsonValue tests interfaces first)
    }
    return io.vertx.core.json.impl.JsonUtil.wrapJsonValue(raw);
  }

  /**
   * Whether a stored row holds {@code expected}: every column's stored value equals the expected
   * one, where a column holding JSON text (a JSONB column, an Any column given an object or array)
   * compares as JSON values ({@link JsonValues}): the oplog's jsonb re-spells key order and numbers
   * on the way to the cache, so the text alone would call equal values different.
   */
  private static boolean sameRow(Shape shape, SourceRow row, Object[] stored, Object[] expected) {
    if (stored == null || expected == null || stored.length != expected.length) {
      return false;
    }
    List<Column> cols = shape.columns();
    for (int i = 0; i < stored.length; i++) {
      if (Objects.deepEquals(stored[i], expected[i])) {
        continue;
      }
      if (!(holdsJson(cols.get(i), row)
          && stored[i] instanceof String a
          && expected[i] instanceof String b
          && JsonValues.sameJsonText(a, b))) {
        return false;
      }
    }
    return true;
  }

  /** Whether the column binds JSON text for this row's value ({@link CacheSchema#boundValue}). */
  private static boolean holdsJson(Column col, SourceRow row) {
    if (col.type() == DataType.JSONB) {
      return true;
    }
    if (col.type() != null && col.type() != DataType.Any) {
      return false;
    }
    Object v = row.data() == null ? null : row.data().getValue(col.name());
    return v instanceof JsonObject || v instanceof JsonArray;
  }

  private static List<String> seenIds(List<SourceRow> rows) {
    return rows.stream().map(r -> asStored(r.docId())).toList();
  }

  /**
   * {@code id} as SQLite hands it back: the driver writes text as UTF-8, where a lone surrogate
   * becomes '?', so such an id is read (and keyed here) in that form.
   */
  static String asStored(String id) {
    for (int i = 0; i < id.length(); i++) {
      if (Character.isSurrogate(id.charAt(i))) {
        return new String(id.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
      }
    }
    return id;
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
          CacheSchema.bindUpsert(ps, shape.columns(), r.docId(), r.data(), 0);
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

  /**
   * The stored values of the rows among {@code ids}. A verifier's page holds ids that sit close
   * together in the primary key's order (it reads the source in {@code _id} order), so one range
   * read between the smallest and the largest id (SQLite's BINARY order: UTF-8 bytes, i.e. code
   * points) usually returns little else, at a fraction of the cost of as many key lookups; rows of
   * the range that were not asked for are dropped, ids it did not hold are looked up. When the
   * range holds more than {@link #RANGE_SLACK} times as many rows (ids that interleave with
   * others), it falls back to lookups.
   */
  private static Map<String, Object[]> storedValues(
      Connection c, String entity, Shape shape, Collection<String> ids) throws SQLException {
    if (ids.size() >= RANGE_MIN_IDS) {
      Map<String, Object[]> ranged = storedRange(c, entity, shape, ids);
      if (ranged != null) {
        // what the range did not hold is looked up by key: the range only saves work, it never
        // decides that a row is missing (whatever SQLite's order makes of an odd id)
        List<String> notInRange = new ArrayList<>();
        for (String id : ids) {
          if (!ranged.containsKey(id)) {
            notInRange.add(id);
          }
        }
        if (!notInRange.isEmpty()) {
          ranged.putAll(storedLookups(c, entity, shape, notInRange));
        }
        return ranged;
      }
    }
    return storedLookups(c, entity, shape, ids);
  }

  /** Rows read per id asked before a range read gives up for lookups. */
  private static final int RANGE_SLACK = 2;

  /** Fewer ids than this are looked up one by one. */
  private static final int RANGE_MIN_IDS = 16;

  private static Map<String, Object[]> storedRange(
      Connection c, String entity, Shape shape, Collection<String> ids) throws SQLException {
    String lo = null;
    String hi = null;
    for (String id : ids) {
      if (lo == null || codePointOrder(id, lo) < 0) {
        lo = id;
      }
      if (hi == null || codePointOrder(id, hi) > 0) {
        hi = id;
      }
    }
    Set<String> wanted = new HashSet<>(ids);
    long limit = (long) RANGE_SLACK * ids.size() + 1;
    String sql =
        selectColumns(entity, shape)
            + " WHERE "
            + CacheSchema.quote(CacheSchema.DOC_ID)
            + " BETWEEN ? AND ? LIMIT "
            + limit;
    Map<String, Object[]> out = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, lo);
      ps.setString(2, hi);
      long read = 0;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          read++;
          String id = rs.getString(1);
          if (wanted.contains(id)) {
            out.put(id, values(rs, shape));
          }
        }
      }
      return read >= limit ? null : out;
    }
  }

  /** Compares as SQLite's BINARY collation does (UTF-8 bytes, which order as code points). */
  static int codePointOrder(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int x = a.codePointAt(i);
      int y = b.codePointAt(j);
      if (x != y) {
        return Integer.compare(x, y);
      }
      i += Character.charCount(x);
      j += Character.charCount(y);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }

  private static Map<String, Object[]> storedLookups(
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
}
