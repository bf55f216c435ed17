package io.emcachers.cache;

import static io.emcachers.core.config.ConfigValues.integer;
import static io.emcachers.core.config.ConfigValues.nonBlankString;
import static io.emcachers.core.config.ConfigValues.requireMin;
import static io.emcachers.core.config.ConfigValues.section;

import io.emcachers.core.config.ConfigValues;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;

/**
 * Configuration of the cache-db manager: the shared keys {@code data_dir} and {@code node_id} and
 * the {@code cache} section of the root config.
 *
 * @param dataDir caches live under {@code {data_dir}/dbs/{entity}/db.sqlite}
 * @param nodeId this node's id (null in the config: {@link ConfigValues#defaultNodeId()})
 * @param idleExpiryMs a cache's connections are closed after this long without use
 * @param cleanupIntervalMs how often the idle clean-up (and entity reconcile) job runs
 * @param queryMaxRows upper bound on rows returned by one read (page or query)
 * @param queryTimeoutMs upper bound on the running time of one query
 * @param rebuildBatchSize oplog rows read per request while rebuilding a cache
 */
public record CacheConfig(
    Path dataDir,
    String nodeId,
    long idleExpiryMs,
    long cleanupIntervalMs,
    int queryMaxRows,
    long queryTimeoutMs,
    int rebuildBatchSize) {

  public static final String DEFAULT_DATA_DIR = "./data";
  public static final long DEFAULT_IDLE_EXPIRY_MS = 300_000;
  public static final long DEFAULT_CLEANUP_INTERVAL_MS = 60_000;
  public static final int DEFAULT_QUERY_MAX_ROWS = 1000;
  public static final long DEFAULT_QUERY_TIMEOUT_MS = 5000;
  public static final int DEFAULT_REBUILD_BATCH_SIZE = 2000;

  public CacheConfig {
    if (dataDir == null) {
      throw new IllegalArgumentException("data_dir is required");
    }
    if (nodeId == null || nodeId.isBlank()) {
      throw new IllegalArgumentException("node_id must be a non-empty string");
    }
    requireMin("cache.idle_expiry_ms", idleExpiryMs, 1);
    requireMin("cache.cleanup_interval_ms", cleanupIntervalMs, 1);
    requireMin("cache.query_max_rows", queryMaxRows, 1);
    requireMin("cache.query_timeout_ms", queryTimeoutMs, 1);
    requireMin("cache.rebuild_batch_size", rebuildBatchSize, 1);
  }

  /**
   * Reads {@code data_dir}, {@code node_id} and the {@code cache} section; throws on bad values.
   */
  public static CacheConfig fromJson(JsonObject root) {
    JsonObject r = root == null ? new JsonObject() : root;
    JsonObject c = section(r, "cache");
    return new CacheConfig(
        Path.of(nonBlankString(r, "data_dir", "data_dir", DEFAULT_DATA_DIR)),
        ConfigValues.nodeId(r),
        integer(
            c, "cache.idle_expiry_ms", "idle_expiry_ms", DEFAULT_IDLE_EXPIRY_MS, 1, Long.MAX_VALUE),
        integer(
            c,
            "cache.cleanup_interval_ms",
            "cleanup_interval_ms",
            DEFAULT_CLEANUP_INTERVAL_MS,
            1,
            Long.MAX_VALUE),
        (int)
            integer(
                c,
                "cache.query_max_rows",
                "query_max_rows",
                DEFAULT_QUERY_MAX_ROWS,
                1,
                Integer.MAX_VALUE),
        integer(
            c,
            "cache.query_timeout_ms",
            "query_timeout_ms",
            DEFAULT_QUERY_TIMEOUT_MS,
            1,
            Long.MAX_VALUE),
        (int)
            integer(
                c,
                "cache.rebuild_batch_size",
                "rebuild_batch_size",
                DEFAULT_REBUILD_BATCH_SIZE,
                1,
                Integer.MAX_VALUE));
  }

  /** {@code {data_dir}/dbs}. */
  public Path dbsDir() {
    return dataDir.resolve("dbs");
  }
}
