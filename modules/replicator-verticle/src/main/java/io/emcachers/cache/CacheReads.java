package io.emcachers.cache;

import io.emcachers.core.messages.CacheDocRequest;
import io.emcachers.core.messages.CachePageRequest;
import io.emcachers.core.messages.CacheQueryRequest;
import io.emcachers.core.messages.CacheRowsReply;
import io.emcachers.core.messages.CacheSearchRequest;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;

/**
 * The read requests of the cache-db manager (doc, page, query, search), with the configured bounds
 * applied; SQLite work on the worker pool. Shared by the node-local addresses and the per-entity
 * cluster-wide read address ({@link ReadAddresses}). Fails with {@link CacheException}; the
 * consumers map it to bus codes.
 */
final class CacheReads {

  private final CacheConfig config;
  private final CacheRegistry registry;
  private final WorkerExecutor workers;

  CacheReads(CacheConfig config, CacheRegistry registry, WorkerExecutor workers) {
    this.config = config;
    this.registry = registry;
    this.workers = workers;
  }

  Future<CacheRowsReply> doc(CacheDocRequest req) {
    String name = CacheRegistry.requireName(req.entity());
    if (req.docId() == null) {
      throw CacheException.invalid("doc_id is required");
    }
    return workers.executeBlocking(
        () -> new CacheRowsReply(registry.doc(name, req.docId()), null, false), false);
  }

  /** Keyset paging by {@code _doc_id}; {@code next} is the last key when more rows follow. */
  Future<CacheRowsReply> page(CachePageRequest req) {
    String name = CacheRegistry.requireName(req.entity());
    int limit =
        req.limit() <= 0
            ? Math.min(100, config.queryMaxRows())
            : Math.min(req.limit(), config.queryMaxRows());
    return workers.executeBlocking(
        () -> {
          RowJson.Rows rows = registry.page(name, req.after(), limit);
          String next =
              rows.truncated() && !rows.rows().isEmpty()
                  ? rows.rows().get(rows.rows().size() - 1).getString(CacheSchema.DOC_ID)
                  : null;
          return new CacheRowsReply(rows.rows(), next, false);
        },
        false);
  }

  /**
   * One read-only statement, bounded by {@code cache.query_max_rows} and {@code
   * cache.query_timeout_ms}.
   */
  Future<CacheRowsReply> query(CacheQueryRequest req) {
    String name = CacheRegistry.requireName(req.entity());
    ReadOnlyQuery.check(req.sql());
    int maxRows =
        req.maxRows() <= 0 ? config.queryMaxRows() : Math.min(req.maxRows(), config.queryMaxRows());
    long timeout =
        req.timeoutMs() <= 0
            ? config.queryTimeoutMs()
            : Math.min(req.timeoutMs(), config.queryTimeoutMs());
    return workers.executeBlocking(
        () -> {
          RowJson.Rows rows = registry.query(name, req.sql(), req.params(), maxRows, timeout);
          return new CacheRowsReply(rows.rows(), null, rows.truncated());
        },
        false);
  }

  /** Full-text search, at most {@code cache.query_max_rows} rows, within the query time limit. */
  Future<CacheRowsReply> search(CacheSearchRequest req) {
    String name = CacheRegistry.requireName(req.entity());
    if (req.q() == null || req.q().isBlank()) {
      throw CacheException.invalid("q is required");
    }
    int limit =
        req.limit() <= 0
            ? Math.min(20, config.queryMaxRows())
            : Math.min(req.limit(), config.queryMaxRows());
    return workers.executeBlocking(
        () -> {
          RowJson.Rows rows = registry.search(name, req.q(), limit, config.queryTimeoutMs());
          return new CacheRowsReply(rows.rows(), null, rows.truncated());
        },
        false);
  }

  /** {@code req} when it is for {@code entity} (the read address it came to) or names no entity. */
  static <T> T sameEntity(String address, String entity, T req) {
    if (entity != null && !entity.equals(address)) {
      throw CacheException.invalid(
          "request for entity " + entity + " sent to the read address of " + address);
    }
    return req;
  }
}
