package io.emcachers.listener;

import static io.emcachers.core.config.ConfigValues.bool;
import static io.emcachers.core.config.ConfigValues.integer;
import static io.emcachers.core.config.ConfigValues.nonBlankString;
import static io.emcachers.core.config.ConfigValues.require;
import static io.emcachers.core.config.ConfigValues.requireMin;
import static io.emcachers.core.config.ConfigValues.section;

import com.mongodb.ConnectionString;
import io.emcachers.core.config.ConfigValues;
import io.vertx.core.json.JsonObject;
import java.util.Locale;

/**
 * Configuration of the listener: {@code mongo.url} (its path names the database), the root {@code
 * node_id}, and the {@code listener} section. {@link #fromJson} validates every value and throws
 * {@link IllegalArgumentException} naming the key.
 */
public record ListenerConfig(
    String mongoUrl,
    String database,
    String nodeId,
    WatchScope watchScope,
    int batchMaxEntries,
    long batchMaxDelayMs,
    int maxUnackedBatches,
    int scanBatchSize,
    long initialBackoffMs,
    long maxBackoffMs,
    long coercionReportIntervalMs,
    boolean requireLocalLeader,
    long leaderCheckIntervalMs,
    long entityRefreshIntervalMs,
    long appendTimeoutMs,
    long streamAwaitMs,
    long idlePollMs,
    long checkpointIntervalMs) {

  /**
   * One change stream per watched collection, or one database-level stream (MongoDB proper only).
   */
  public enum WatchScope {
    collection,
    database
  }

  public static final String DEFAULT_MONGO_URL = "mongodb://127.0.0.1:27017/app";
  public static final WatchScope DEFAULT_WATCH_SCOPE = WatchScope.collection;
  public static final int DEFAULT_BATCH_MAX_ENTRIES = 500;
  public static final long DEFAULT_BATCH_MAX_DELAY_MS = 50;
  public static final int DEFAULT_MAX_UNACKED_BATCHES = 4;
  public static final int DEFAULT_SCAN_BATCH_SIZE = 1000;
  public static final long DEFAULT_INITIAL_BACKOFF_MS = 200;
  public static final long DEFAULT_MAX_BACKOFF_MS = 10_000;
  public static final long DEFAULT_COERCION_REPORT_INTERVAL_MS = 60_000;
  public static final boolean DEFAULT_REQUIRE_LOCAL_LEADER = true;
  public static final long DEFAULT_LEADER_CHECK_INTERVAL_MS = 1_000;
  public static final long DEFAULT_ENTITY_REFRESH_INTERVAL_MS = 30_000;
  public static final long DEFAULT_APPEND_TIMEOUT_MS = 30_000;
  public static final long DEFAULT_STREAM_AWAIT_MS = 1_000;
  public static final long DEFAULT_IDLE_POLL_MS = 50;
  public static final long DEFAULT_CHECKPOINT_INTERVAL_MS = 10_000;

  /** Stream name (resume-token key) of the database-level stream. */
  public static final String DB_STREAM = "_db";

  public ListenerConfig {
    requireMin("listener.batch_max_entries", batchMaxEntries, 1);
    requireMin("listener.batch_max_delay_ms", batchMaxDelayMs, 1);
    requireMin("listener.max_unacked_batches", maxUnackedBatches, 1);
    requireMin("listener.scan_batch_size", scanBatchSize, 1);
    requireMin("listener.initial_backoff_ms", initialBackoffMs, 1);
    require(
        maxBackoffMs >= initialBackoffMs,
        "listener.max_backoff_ms must be >= listener.initial_backoff_ms ("
            + initialBackoffMs
            + "), got "
            + maxBackoffMs);
    requireMin("listener.coercion_report_interval_ms", coercionReportIntervalMs, 1);
    requireMin("listener.leader_check_interval_ms", leaderCheckIntervalMs, 1);
    requireMin("listener.entity_refresh_interval_ms", entityRefreshIntervalMs, 1);
    requireMin("listener.append_timeout_ms", appendTimeoutMs, 1);
    requireMin("listener.stream_await_ms", streamAwaitMs, 1);
    requireMin("listener.idle_poll_ms", idlePollMs, 1);
    requireMin("listener.checkpoint_interval_ms", checkpointIntervalMs, 1);
    require(watchScope != null, "listener.watch_scope must be collection or database");
    require(
        database != null && !database.isEmpty(),
        "mongo.url must name the database in its path (mongodb://host:port/database), got "
            + mongoUrl);
  }

  /**
   * Reads {@code mongo.url}, {@code node_id} and the {@code listener} section of the root config.
   */
  public static ListenerConfig fromJson(JsonObject root) {
    JsonObject r = root == null ? new JsonObject() : root;
    JsonObject mongo = section(r, "mongo");
    JsonObject l = section(r, "listener");
    String url = nonBlankString(mongo, "mongo.url", "url", DEFAULT_MONGO_URL);
    String database;
    try {
      database = new ConnectionString(url).getDatabase();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "mongo.url is not a MongoDB connection string (" + e.getMessage() + "): " + url, e);
    }
    String scopeText =
        nonBlankString(l, "listener.watch_scope", "watch_scope", DEFAULT_WATCH_SCOPE.name());
    WatchScope scope;
    try {
      scope = WatchScope.valueOf(scopeText.toLowerCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "listener.watch_scope must be collection or database, got " + scopeText);
    }
    return new ListenerConfig(
        url,
        database,
        ConfigValues.nodeId(r),
        scope,
        (int)
            integer(
                l,
                "listener.batch_max_entries",
                "batch_max_entries",
                DEFAULT_BATCH_MAX_ENTRIES,
                1,
                Integer.MAX_VALUE),
        integer(
            l,
            "listener.batch_max_delay_ms",
            "batch_max_delay_ms",
            DEFAULT_BATCH_MAX_DELAY_MS,
            1,
            Long.MAX_VALUE),
        (int)
            integer(
                l,
                "listener.max_unacked_batches",
                "max_unacked_batches",
                DEFAULT_MAX_UNACKED_BATCHES,
                1,
                Integer.MAX_VALUE),
        (int)
            integer(
                l,
                "listener.scan_batch_size",
                "scan_batch_size",
                DEFAULT_SCAN_BATCH_SIZE,
                1,
                Integer.MAX_VALUE),
        integer(
            l,
            "listener.initial_backoff_ms",
            "initial_backoff_ms",
            DEFAULT_INITIAL_BACKOFF_MS,
            1,
            Long.MAX_VALUE),
        integer(
            l,
            "listener.max_backoff_ms",
            "max_backoff_ms",
            DEFAULT_MAX_BACKOFF_MS,
            1,
            Long.MAX_VALUE),
        integer(
            l,
            "listener.coercion_report_interval_ms",
            "coercion_report_interval_ms",
            DEFAULT_COERCION_REPORT_INTERVAL_MS,
            1,
            Long.MAX_VALUE),
        bool(
            l,
            "listener.require_local_leader",
            "require_local_leader",
            DEFAULT_REQUIRE_LOCAL_LEADER),
        integer(
            l,
            "listener.leader_check_interval_ms",
            "leader_check_interval_ms",
            DEFAULT_LEADER_CHECK_INTERVAL_MS,
            1,
            Long.MAX_VALUE),
        integer(
            l,
            "listener.entity_refresh_interval_ms",
            "entity_refresh_interval_ms",
            DEFAULT_ENTITY_REFRESH_INTERVAL_MS,
            1,
            Long.MAX_VALUE),
        integer(
            l,
            "listener.append_timeout_ms",
            "append_timeout_ms",
            DEFAULT_APPEND_TIMEOUT_MS,
            1,
            Long.MAX_VALUE),
        integer(
            l,
            "listener.stream_await_ms",
            "stream_await_ms",
            DEFAULT_STREAM_AWAIT_MS,
            1,
            Long.MAX_VALUE),
        integer(
            l, "listener.idle_poll_ms", "idle_poll_ms", DEFAULT_IDLE_POLL_MS, 1, Long.MAX_VALUE),
        integer(
            l,
            "listener.checkpoint_interval_ms",
            "checkpoint_interval_ms",
            DEFAULT_CHECKPOINT_INTERVAL_MS,
            1,
            Long.MAX_VALUE));
  }

  /**
   * The backoff before retry number {@code consecutiveErrors} (1-based): initial × 2^(n-1), capped.
   */
  public long backoffMs(int consecutiveErrors) {
    return io.emcachers.core.retry.Backoff.delayMs(
        initialBackoffMs, maxBackoffMs, consecutiveErrors);
  }
}
