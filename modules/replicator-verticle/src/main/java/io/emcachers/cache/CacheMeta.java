package io.emcachers.cache;

import io.emcachers.core.model.Entity;
import io.emcachers.core.model.Shape;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

/**
 * What a cache file's {@code _emc_meta} table says about it: shape, entity version, last applied
 * oplog id and the rest of its identity ({@link CacheIdentity}). Incarnation and doc-id rule are
 * null in files made before they were recorded; shape is null in a file whose metadata was never
 * written.
 */
public record CacheMeta(
    Shape shape,
    String shapeHash,
    long entityVersion,
    long lastOplogId,
    String incarnation,
    String docIdRule) {

  CacheMeta withLastOplogId(long last) {
    return new CacheMeta(shape, shapeHash, entityVersion, last, incarnation, docIdRule);
  }

  /** The metadata of the file {@code c} is connected to (all empty when it has no meta table). */
  static CacheMeta read(Connection c) throws SQLException {
    return of(readRaw(c));
  }

  static Map<String, String> readRaw(Connection c) throws SQLException {
    Map<String, String> meta = new HashMap<>();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT key, value FROM " + CacheSchema.META_TABLE)) {
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

  static CacheMeta of(Map<String, String> meta) {
    String shapeJson = meta.get(CacheSchema.META_SHAPE);
    return new CacheMeta(
        shapeJson == null ? null : Shape.fromJson(new JsonObject(shapeJson)),
        meta.get(CacheSchema.META_SHAPE_HASH),
        parseLong(meta.get(CacheSchema.META_ENTITY_VERSION)),
        parseLong(meta.get(CacheSchema.META_LAST_OPLOG_ID)),
        meta.get(CacheSchema.META_INCARNATION),
        meta.get(CacheSchema.META_DOC_ID_RULE));
  }

  /**
   * Creates the entity's table in a new file and records its identity with {@code last_oplog_id} 0,
   * in one transaction.
   */
  static CacheMeta initialize(Connection c, String table, Entity e) throws SQLException {
    c.setAutoCommit(false);
    try (Statement st = c.createStatement();
        PreparedStatement ps = c.prepareStatement(CacheSchema.upsertMeta())) {
      st.execute(CacheSchema.createTable(table, e.shape()));
      put(ps, CacheSchema.META_ENTITY, table);
      put(ps, CacheSchema.META_SHAPE_HASH, e.shape().hash());
      put(ps, CacheSchema.META_SHAPE, e.shape().toJson().encode());
      put(ps, CacheSchema.META_ENTITY_VERSION, Long.toString(e.version()));
      put(ps, CacheSchema.META_INCARNATION, CacheSchema.incarnation(e));
      put(ps, CacheSchema.META_DOC_ID_RULE, CacheSchema.DOC_ID_RULE);
      put(ps, CacheSchema.META_LAST_OPLOG_ID, "0");
      c.commit();
    } catch (SQLException ex) {
      c.rollback();
      throw ex;
    } finally {
      c.setAutoCommit(true);
    }
    return new CacheMeta(
        e.shape(),
        e.shape().hash(),
        e.version(),
        0,
        CacheSchema.incarnation(e),
        CacheSchema.DOC_ID_RULE);
  }

  static void put(PreparedStatement ps, String key, String value) throws SQLException {
    ps.setString(1, key);
    ps.setString(2, value);
    ps.executeUpdate();
  }

  private static long parseLong(String s) {
    try {
      return s == null ? 0 : Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
