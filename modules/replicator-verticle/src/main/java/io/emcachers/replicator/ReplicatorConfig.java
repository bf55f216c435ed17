package io.emcachers.replicator;

import static io.emcachers.core.config.ConfigValues.integer;
import static io.emcachers.core.config.ConfigValues.nonBlankString;
import static io.emcachers.core.config.ConfigValues.requireMin;
import static io.emcachers.core.config.ConfigValues.section;

import io.emcachers.cache.CacheConfig;
import io.emcachers.core.config.ConfigValues;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;

/**
 * Configuration of the replicator: the shared keys {@code data_dir} and {@code node_id} and the
 * {@code replicator} section of the root config.
 *
 * @param dataDir the node offset lives in {@code {data_dir}/meta.sqlite}
 * @param nodeId this node's id (null in the config: {@link ConfigValues#defaultNodeId()})
 * @param pollIntervalMs safety-net poll when no {@code emc.oplog.appended} arrives
 * @param readBatchSize oplog rows per read at the head, and per entity of a batch behind it
 * @param maxReadBatchSize most oplog rows per read behind the head ({@link ReadSize})
 * @param initialBackoffMs first retry delay after an error
 * @param maxBackoffMs retry delay cap
 * @param statusIntervalMs how often progress is published on {@code emc.status}
 * @param applyTimeoutMs how long one {@code emc.cache.apply} may take (it waits for a shape
 *     rebuild)
 * @param reportIntervalMs how often the node reports its offset to the oplog's replica registry
 *     ({@code emc.oplog.replica.report}); keep it well within {@code oplog.replica_expiry_ms}
 * @param mode {@code replica}: every node holds every entity; {@code partitioned}: each entity is
 *     held by {@code replicas} of the live replicator nodes (rendezvous hashing)
 * @param replicas holders per entity in partitioned mode
 */
public record ReplicatorConfig(
    Path dataDir,
    String nodeId,
    long pollIntervalMs,
    int readBatchSize,
    int maxReadBatchSize,
    long initialBackoffMs,
    long maxBackoffMs,
    long statusIntervalMs,
    long applyTimeoutMs,
    long reportIntervalMs,
    String mode,
    int replicas) {

  public static final String MODE_REPLICA = "replica";
  public static final String MODE_PARTITIONED = "partitioned";
  public static final int DEFAULT_REPLICAS = 2;

  public static final long DEFAULT_POLL_INTERVAL_MS = 1000;
  public static final int DEFAULT_READ_BATCH_SIZE = 2000;
  public static final int DEFAULT_MAX_READ_BATCH_SIZE = 10_000;
  public static final long DEFAULT_INITIAL_BACKOFF_MS = 200;
  public static final long DEFAULT_MAX_BACKOFF_MS = 10_000;
  public static final long DEFAULT_STATUS_INTERVAL_MS = 1000;
  public static final long DEFAULT_APPLY_TIMEOUT_MS = 600_000;
  public static final long DEFAULT_REPORT_INTERVAL_MS = 30_000;

  public ReplicatorConfig {
    if (dataDir == null) {
      throw new IllegalArgumentException("data_dir is required");
    }
    if (nodeId == null || nodeId.isBlank()) {
      throw new IllegalArgumentException("node_id must be a non-empty string");
    }
    requireMin("replicator.poll_interval_ms", pollIntervalMs, 1);
    requireMin("replicator.read_batch_size", readBatchSize, 1);
    if (maxReadBatchSize < readBatchSize) {
      throw new IllegalArgumentException(
          "replicator.max_read_batch_size must be >= replicator.read_batch_size ("
              + readBatchSize
              + "), got "
              + maxReadBatchSize);
    }
    requireMin("replicator.initial_backoff_ms", initialBackoffMs, 1);
    requireMin("replicator.max_backoff_ms", maxBackoffMs, initialBackoffMs);
    requireMin("replicator.status_interval_ms", statusIntervalMs, 1);
    requireMin("replicator.apply_timeout_ms", applyTimeoutMs, 1);
    requireMin("replicator.report_interval_ms", reportIntervalMs, 1);
    if (!MODE_REPLICA.equals(mode) && !MODE_PARTITIONED.equals(mode)) {
      throw new IllegalArgumentException(
          "replicator.mode must be \"replica\" or \"partitioned\", got \"" + mode + "\"");
    }
    requireMin("replicator.replicas", replicas, 1);
  }

  public boolean partitioned() {
    return MODE_PARTITIONED.equals(mode);
  }

  /**
   * Reads {@code data_dir}, {@code node_id} and the {@code replicator} section; throws on bad
   * values.
   */
  public static ReplicatorConfig fromJson(JsonObject root) {
    JsonObject r = root == null ? new JsonObject() : root;
    JsonObject c = section(r, "replicator");
    int readBatch =
        (int)
            integer(
                c,
                "replicator.read_batch_size",
                "read_batch_size",
                DEFAULT_READ_BATCH_SIZE,
                1,
                Integer.MAX_VALUE);
    return new ReplicatorConfig(
        Path.of(nonBlankString(r, "data_dir", "data_dir", CacheConfig.DEFAULT_DATA_DIR)),
        ConfigValues.nodeId(r),
        integer(
            c,
            "replicator.poll_interval_ms",
            "poll_interval_ms",
            DEFAULT_POLL_INTERVAL_MS,
            1,
            Long.MAX_VALUE),
        readBatch,
        (int)
            integer(
                c,
                "replicator.max_read_batch_size",
                "max_read_batch_size",
                Math.max(DEFAULT_MAX_READ_BATCH_SIZE, readBatch),
                1,
                Integer.MAX_VALUE),
        integer(
            c,
            "replicator.initial_backoff_ms",
            "initial_backoff_ms",
            DEFAULT_INITIAL_BACKOFF_MS,
            1,
            Long.MAX_VALUE),
        integer(
            c,
            "replicator.max_backoff_ms",
            "max_backoff_ms",
            DEFAULT_MAX_BACKOFF_MS,
            1,
            Long.MAX_VALUE),
        integer(
            c,
            "replicator.status_interval_ms",
            "status_interval_ms",
            DEFAULT_STATUS_INTERVAL_MS,
            1,
            Long.MAX_VALUE),
        integer(
            c,
            "replicator.apply_timeout_ms",
            "apply_timeout_ms",
            DEFAULT_APPLY_TIMEOUT_MS,
            1,
            Long.MAX_VALUE),
        integer(
            c,
            "replicator.report_interval_ms",
            "report_interval_ms",
            DEFAULT_REPORT_INTERVAL_MS,
            1,
            Long.MAX_VALUE),
        ConfigValues.string(c, "replicator.mode", "mode", MODE_REPLICA),
        (int) integer(c, "replicator.replicas", "replicas", DEFAULT_REPLICAS, 1, 1000));
  }

  /** {@code {data_dir}/meta.sqlite}. */
  public Path metaDbPath() {
    return dataDir.resolve("meta.sqlite");
  }
}
