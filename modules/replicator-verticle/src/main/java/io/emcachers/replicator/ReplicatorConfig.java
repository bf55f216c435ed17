package io.emcachers.replicator;

import static io.emcachers.cache.CacheConfig.longOf;
import static io.emcachers.cache.CacheConfig.requireMin;

import io.emcachers.cache.CacheConfig;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;

/**
 * Configuration of the replicator: the shared keys {@code data_dir} and {@code node_id} and the
 * {@code replicator} section of the root config.
 *
 * @param dataDir the node offset lives in {@code {data_dir}/meta.sqlite}
 * @param nodeId this node's id (null in the config: the host name)
 * @param pollIntervalMs safety-net poll when no {@code emc.oplog.appended} arrives
 * @param readBatchSize oplog rows per read
 * @param initialBackoffMs first retry delay after an error
 * @param maxBackoffMs retry delay cap
 * @param statusIntervalMs how often progress is published on {@code emc.status}
 * @param applyTimeoutMs how long one {@code emc.cache.apply} may take (it waits for a shape rebuild)
 */
public record ReplicatorConfig(
    Path dataDir,
    String nodeId,
    long pollIntervalMs,
    int readBatchSize,
    long initialBackoffMs,
    long maxBackoffMs,
    long statusIntervalMs,
    long applyTimeoutMs) {

  public static final long DEFAULT_POLL_INTERVAL_MS = 1000;
  public static final int DEFAULT_READ_BATCH_SIZE = 2000;
  public static final long DEFAULT_INITIAL_BACKOFF_MS = 200;
  public static final long DEFAULT_MAX_BACKOFF_MS = 10_000;
  public static final long DEFAULT_STATUS_INTERVAL_MS = 1000;
  public static final long DEFAULT_APPLY_TIMEOUT_MS = 600_000;

  public ReplicatorConfig {
    if (dataDir == null) {
      throw new IllegalArgumentException("data_dir is required");
    }
    if (nodeId == null || nodeId.isBlank()) {
      throw new IllegalArgumentException("node_id must be a non-empty string");
    }
    requireMin("replicator.poll_interval_ms", pollIntervalMs, 1);
    requireMin("replicator.read_batch_size", readBatchSize, 1);
    requireMin("replicator.initial_backoff_ms", initialBackoffMs, 1);
    requireMin("replicator.max_backoff_ms", maxBackoffMs, initialBackoffMs);
    requireMin("replicator.status_interval_ms", statusIntervalMs, 1);
    requireMin("replicator.apply_timeout_ms", applyTimeoutMs, 1);
  }

  /** Reads {@code data_dir}, {@code node_id} and the {@code replicator} section; throws on bad values. */
  public static ReplicatorConfig fromJson(JsonObject root) {
    JsonObject r = root == null ? new JsonObject() : root;
    Object sec = r.getValue("replicator");
    if (sec != null && !(sec instanceof JsonObject)) {
      throw new IllegalArgumentException("replicator must be an object, got " + sec);
    }
    JsonObject c = sec == null ? new JsonObject() : (JsonObject) sec;
    Object dataDir = r.getValue("data_dir");
    if (dataDir != null && (!(dataDir instanceof String s) || s.isBlank())) {
      throw new IllegalArgumentException("data_dir must be a non-empty string, got " + dataDir);
    }
    return new ReplicatorConfig(
        Path.of(dataDir == null ? CacheConfig.DEFAULT_DATA_DIR : (String) dataDir),
        CacheConfig.nodeIdOf(r),
        longOf(c, "replicator.poll_interval_ms", "poll_interval_ms", DEFAULT_POLL_INTERVAL_MS),
        (int) longOf(c, "replicator.read_batch_size", "read_batch_size", DEFAULT_READ_BATCH_SIZE),
        longOf(c, "replicator.initial_backoff_ms", "initial_backoff_ms", DEFAULT_INITIAL_BACKOFF_MS),
        longOf(c, "replicator.max_backoff_ms", "max_backoff_ms", DEFAULT_MAX_BACKOFF_MS),
        longOf(c, "replicator.status_interval_ms", "status_interval_ms", DEFAULT_STATUS_INTERVAL_MS),
        longOf(c, "replicator.apply_timeout_ms", "apply_timeout_ms", DEFAULT_APPLY_TIMEOUT_MS));
  }

  /** {@code {data_dir}/meta.sqlite}. */
  public Path metaDbPath() {
    return dataDir.resolve("meta.sqlite");
  }
}
