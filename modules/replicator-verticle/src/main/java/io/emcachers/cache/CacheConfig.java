package io.emcachers.cache;

import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.nio.file.Path;

/**
 * Configuration of the cache-db manager: the shared keys {@code data_dir} and {@code node_id} and
 * the {@code cache} section of the root config.
 *
 * @param dataDir caches live under {@code {data_dir}/dbs/{entity}/db.sqlite}
 * @param nodeId this node's id (null in the config: the host name)
 * @param idleExpiryMs a cache's connections are closed after this long without use
 * @param cleanupIntervalMs how often the idle clean-up (and entity reconcile) job runs
 * @param queryMaxRows upper bound on rows returned by one read (page or query)
 * @param queryTimeoutMs upper bound on the running time of one query
 * @param rebuildBatchSize oplog rows read per request while rebuilding a cache
 */
public record CacheConfig(
    Path dataDir, String nodeId, long idleExpiryMs, long cleanupIntervalMs, int queryMaxRows, long queryTimeoutMs, int rebuildBatchSize) {

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

  /** Reads {@code data_dir}, {@code node_id} and the {@code cache} section; throws on bad values. */
  public static CacheConfig fromJson(JsonObject root) {
    JsonObject r = root == null ? new JsonObject() : root;
    JsonObject c = section(r, "cache");
    return new CacheConfig(
        Path.of(string(r, "data_dir", DEFAULT_DATA_DIR)),
        nodeIdOf(r),
        longOf(c, "cache.idle_expiry_ms", "idle_expiry_ms", DEFAULT_IDLE_EXPIRY_MS),
        longOf(c, "cache.cleanup_interval_ms", "cleanup_interval_ms", DEFAULT_CLEANUP_INTERVAL_MS),
        (int) longOf(c, "cache.query_max_rows", "query_max_rows", DEFAULT_QUERY_MAX_ROWS),
        longOf(c, "cache.query_timeout_ms", "query_timeout_ms", DEFAULT_QUERY_TIMEOUT_MS),
        (int) longOf(c, "cache.rebuild_batch_size", "rebuild_batch_size", DEFAULT_REBUILD_BATCH_SIZE));
  }

  /** {@code {data_dir}/dbs}. */
  public Path dbsDir() {
    return dataDir.resolve("dbs");
  }

  // ---- shared config helpers (the replicator's config uses them too) ----

  /** {@code node_id} from the root config, or this host's name when it is null. */
  public static String nodeIdOf(JsonObject root) {
    Object v = root.getValue("node_id");
    if (v == null) {
      return defaultNodeId();
    }
    if (!(v instanceof String s) || s.isBlank()) {
      throw new IllegalArgumentException("node_id must be a non-empty string or null, got " + v);
    }
    return s;
  }

  /** The host name (HOSTNAME first, then the resolver), or {@code local} when neither is known. */
  public static String defaultNodeId() {
    String env = System.getenv("HOSTNAME");
    if (env != null && !env.isBlank()) {
      return env;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      return "local";
    }
  }

  static JsonObject section(JsonObject root, String name) {
    Object v = root.getValue(name);
    if (v == null) {
      return new JsonObject();
    }
    if (!(v instanceof JsonObject o)) {
      throw new IllegalArgumentException(name + " must be an object, got " + v);
    }
    return o;
  }

  static String string(JsonObject o, String key, String def) {
    Object v = o.getValue(key);
    if (v == null) {
      return def;
    }
    if (!(v instanceof String s) || s.isBlank()) {
      throw new IllegalArgumentException(key + " must be a non-empty string, got " + v);
    }
    return s;
  }

  /** Reads an integral number; {@code label} names the key in error messages. */
  public static long longOf(JsonObject section, String label, String key, long def) {
    Object v = section.getValue(key);
    if (v == null) {
      return def;
    }
    if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
      throw new IllegalArgumentException(label + " must be an integer, got " + v);
    }
    return n.longValue();
  }

  /** Throws {@code "label must be >= min, got value"}. */
  public static void requireMin(String label, long value, long min) {
    if (value < min) {
      throw new IllegalArgumentException(label + " must be >= " + min + ", got " + value);
    }
  }
}
