package io.emcachers.cache;

import io.emcachers.core.messages.CacheDigestReply;
import io.emcachers.core.messages.CacheIdsReply;
import io.emcachers.core.verify.VerifyHash;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * Verification support (issue 11): digests and lists a cache's doc ids by bucket ({@link
 * VerifyHash}), scanning on a read-only connection of its own (so a long scan does not hold up the
 * cache's other reads), in one read transaction. Blocks (worker threads only); throws {@link
 * CacheException}; bounds are checked by {@link CacheVerifyHandlers}.
 */
final class CacheScans {

  /** Doc ids one ids request scans at most before it replies with a {@code nextAfter}. */
  static final int IDS_SCAN_BUDGET = 200_000;

  private final CacheRegistry registry;

  CacheScans(CacheRegistry registry) {
    this.registry = registry;
  }

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

  static long lastOplogId(Connection c) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT value FROM " + CacheSchema.META_TABLE + " WHERE key = ?")) {
      ps.setString(1, CacheSchema.META_LAST_OPLOG_ID);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getString(1) != null ? Long.parseLong(rs.getString(1).trim()) : 0;
      }
    }
  }
}
