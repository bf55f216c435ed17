package io.emcachers.listener;

import com.mongodb.ConnectionString;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.util.Locale;

/**
 * Configuration of the listener: {@code mongo.url} (its path names the database), the root
 * {@code node_id}, and the {@code listener} section. {@link #fromJson} validates every value and
 * throws {@link IllegalArgumentException} naming the key.
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

  /** One change stream per watched collection, or one database-level stream (MongoDB proper only). */
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
    require(batchMaxEntries >= 1, "listener.batch_max_entries must be >= 1, got " + batchMaxEntries);
    require(batchMaxDelayMs >= 1, "listener.batch_max_delay_ms must be >= 1, got " + batchMaxDelayMs);
    require(maxUnackedBatches >= 1, "listener.max_unacked_batches must be >= 1, got " + maxUnackedBatches);
    require(scanBatchSize >= 1, "listener.scan_batch_size must be >= 1, got " + scanBatchSize);
    require(initialBackoffMs >= 1, "listener.initial_backoff_ms must be >= 1, got " + initialBackoffMs);
    require(maxBackoffMs >= initialBackoffMs, "listener.max_backoff_ms must be >= listener.initial_backoff_ms (" + initialBackoffMs + "), got " + maxBackoffMs);
    require(coercionReportIntervalMs >= 1, "listener.coercion_report_interval_ms must be >= 1, got " + coercionReportIntervalMs);
    require(leaderCheckIntervalMs >= 1, "listener.leader_check_interval_ms must be >= 1, got " + leaderCheckIntervalMs);
    require(entityRefreshIntervalMs >= 1, "listener.entity_refresh_interval_ms must be >= 1, got " + entityRefreshIntervalMs);
    require(appendTimeoutMs >= 1, "listener.append_timeout_ms must be >= 1, got " + appendTimeoutMs);
    require(streamAwaitMs >= 1, "listener.stream_await_ms must be >= 1, got " + streamAwaitMs);
    require(idlePollMs >= 1, "listener.idle_poll_ms must be >= 1, got " + idlePollMs);
    require(checkpointIntervalMs >= 1, "listener.checkpoint_interval_ms must be >= 1, got " + checkpointIntervalMs);
    require(watchScope != null, "listener.watch_scope must be collection or database");
    require(database != null && !database.isEmpty(), "mongo.url must name the database in its path (mongodb://host:port/database), got " + mongoUrl);
  }

  /** Reads {@code mongo.url}, {@code node_id} and the {@code listener} section of the root config. */
  public static ListenerConfig fromJson(JsonObject root) {
    JsonObject r = root == null ? new JsonObject() : root;
    JsonObject mongo = section(r, "mongo");
    JsonObject l = section(r, "listener");
    String url = string(mongo, "url", "mongo.url", DEFAULT_MONGO_URL);
    String database;
    try {
      database = new ConnectionString(url).getDatabase();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("mongo.url is not a MongoDB connection string (" + e.getMessage() + "): " + url, e);
    }
    String scopeText = string(l, "watch_scope", "listener.watch_scope", DEFAULT_WATCH_SCOPE.name());
    WatchScope scope;
    try {
      scope = WatchScope.valueOf(scopeText.toLowerCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("listener.watch_scope must be collection or database, got " + scopeText);
    }
    Object nodeValue = r.getValue("node_id");
    if (nodeValue != null && !(nodeValue instanceof String)) {
      throw new IllegalArgumentException("node_id must be a string or null, got " + nodeValue);
    }
    String nodeId = nodeValue == null || ((String) nodeValue).isBlank() ? defaultNodeId() : (String) nodeValue;
    Object leader = l.getValue("require_local_leader", DEFAULT_REQUIRE_LOCAL_LEADER);
    if (!(leader instanceof Boolean)) {
      throw new IllegalArgumentException("listener.require_local_leader must be true or false, got " + leader);
    }
    return new ListenerConfig(
        url,
        database,
        nodeId,
        scope,
        (int) number(l, "batch_max_entries", DEFAULT_BATCH_MAX_ENTRIES),
        number(l, "batch_max_delay_ms", DEFAULT_BATCH_MAX_DELAY_MS),
        (int) number(l, "max_unacked_batches", DEFAULT_MAX_UNACKED_BATCHES),
        (int) number(l, "scan_batch_size", DEFAULT_SCAN_BATCH_SIZE),
        number(l, "initial_backoff_ms", DEFAULT_INITIAL_BACKOFF_MS),
        number(l, "max_backoff_ms", DEFAULT_MAX_BACKOFF_MS),
        number(l, "coercion_report_interval_ms", DEFAULT_COERCION_REPORT_INTERVAL_MS),
        (Boolean) leader,
        number(l, "leader_check_interval_ms", DEFAULT_LEADER_CHECK_INTERVAL_MS),
        number(l, "entity_refresh_interval_ms", DEFAULT_ENTITY_REFRESH_INTERVAL_MS),
        number(l, "append_timeout_ms", DEFAULT_APPEND_TIMEOUT_MS),
        number(l, "stream_await_ms", DEFAULT_STREAM_AWAIT_MS),
        number(l, "idle_poll_ms", DEFAULT_IDLE_POLL_MS),
        number(l, "checkpoint_interval_ms", DEFAULT_CHECKPOINT_INTERVAL_MS));
  }

  /** The backoff before retry number {@code consecutiveErrors} (1-based): initial × 2^(n-1), capped. */
  public long backoffMs(int consecutiveErrors) {
    int shift = Math.min(Math.max(consecutiveErrors - 1, 0), 30);
    long delay = initialBackoffMs << shift;
    return delay <= 0 || delay > maxBackoffMs ? maxBackoffMs : delay;
  }

  private static JsonObject section(JsonObject root, String key) {
    Object v = root.getValue(key);
    if (v == null) {
      return new JsonObject();
    }
    if (!(v instanceof JsonObject o)) {
      throw new IllegalArgumentException(key + " must be an object, got " + v);
    }
    return o;
  }

  private static String string(JsonObject section, String key, String name, String def) {
    Object v = section.getValue(key);
    if (v == null) {
      return def;
    }
    if (!(v instanceof String s) || s.isBlank()) {
      throw new IllegalArgumentException(name + " must be a non-empty string, got " + v);
    }
    return s;
  }

  private static long number(JsonObject section, String key, long def) {
    Object v = section.getValue(key);
    if (v == null) {
      return def;
    }
    if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
      throw new IllegalArgumentException("listener." + key + " must be an integer, got " + v);
    }
    long value = n.longValue();
    if (value > Integer.MAX_VALUE && (key.equals("batch_max_entries") || key.equals("max_unacked_batches") || key.equals("scan_batch_size"))) {
      throw new IllegalArgumentException("listener." + key + " must be <= " + Integer.MAX_VALUE + ", got " + v);
    }
    return value;
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  private static String defaultNodeId() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      return "node-" + ProcessHandle.current().pid();
    }
  }
}
