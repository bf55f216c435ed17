package io.emcachers.cache;

import io.emcachers.core.model.Entity;

/**
 * What makes a cache file a cache of an entity: its shape (hash), the entity's incarnation and the
 * doc-id rule ({@link CacheSchema#incarnation}, {@link CacheSchema#DOC_ID_RULE}). A file that
 * differs in any of them is rebuilt from the oplog, unless the entity snapshot asking is older than
 * the version the file was built for (a late apply or event): then the file stands.
 */
final class CacheIdentity {

  private CacheIdentity() {}

  /**
   * Why the file ({@code m}) is not a cache of {@code e}; null when it is (or {@code e} is an older
   * snapshot).
   */
  static String mismatch(CacheMeta m, Entity e) {
    if (m == null || e.version() < m.entityVersion()) {
      return null;
    }
    if (m.shapeHash() == null || !m.shapeHash().equals(e.shape().hash())) {
      return "has shape "
          + m.shapeHash()
          + " (entity version "
          + m.entityVersion()
          + "), entity has shape "
          + e.shape().hash()
          + " (version "
          + e.version()
          + ")";
    }
    if (!CacheSchema.DOC_ID_RULE.equals(m.docIdRule())) {
      return "was built with doc-id rule "
          + m.docIdRule()
          + ", the current rule is "
          + CacheSchema.DOC_ID_RULE;
    }
    String expected = CacheSchema.incarnation(e);
    boolean unknown = e.createdAt() == null;
    if (m.incarnation() == null || (!unknown && !expected.equals(m.incarnation()))) {
      return "belongs to incarnation " + m.incarnation() + ", the entity is " + expected;
    }
    return null;
  }

  /** Whether a cache built for {@code a} is a cache of {@code b}: same shape and incarnation. */
  static boolean same(Entity a, Entity b) {
    return a.shape().hash().equals(b.shape().hash())
        && CacheSchema.incarnation(a).equals(CacheSchema.incarnation(b));
  }
}
