package io.emcachers.cache;

import io.emcachers.core.messages.CacheLocalRepairReply;
import io.emcachers.core.model.Operation;
import io.emcachers.core.model.Oplog;
import io.emcachers.core.model.Shape;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verification support (issue 11): restores damaged rows of a cache from their (already applied)
 * oplog rows, under the cache's write lock, without moving {@code last_oplog_id}. Blocks (worker
 * threads only); throws {@link CacheException}; bounds are checked by {@link CacheVerifyHandlers}.
 */
final class CacheLocalRepair {

  private static final Logger LOG = LoggerFactory.getLogger(CacheLocalRepair.class);

  private final CacheRegistry registry;

  CacheLocalRepair(CacheRegistry registry) {
    this.registry = registry;
  }

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
      long last = CacheScans.lastOplogId(c);
      for (Oplog r : rows) {
        if (r.id() > last || newerRow(current, r)) {
          skipped++;
          continue;
        }
        if (r.operation() == Operation.Delete) {
          delete.setString(1, r.docId());
          delete.executeUpdate();
        } else {
          CacheSchema.bindUpsert(upsert, shape.columns(), r.docId(), r.data(), r.id());
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
