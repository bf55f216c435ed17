package io.emcachers.api;

import static io.emcachers.core.config.ConfigValues.bool;
import static io.emcachers.core.config.ConfigValues.integer;
import static io.emcachers.core.config.ConfigValues.section;
import static io.emcachers.core.config.ConfigValues.string;

import io.emcachers.api.changes.FeedConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * Configuration of the API verticle: the {@code api} section of the root config, plus the shared
 * keys it needs ({@code node_id}, and {@code cache.query_max_rows} / {@code
 * cache.query_timeout_ms}, the limits the API passes with cache queries).
 *
 * @param host interface to bind
 * @param port TCP port; 0 binds any free port (tests)
 * @param key the API key, or null when none is configured (writes are then refused)
 * @param openReads whether reads are allowed without the key
 * @param bodyLimitBytes largest request body accepted (413 above)
 * @param requestTimeoutMs deadline of a request: a body not received by then is answered 408, an
 *     answer not ready 504
 * @param corsOrigins allowed CORS origins ({@code ["*"]} for any; empty: no CORS headers)
 * @param healthTimeoutMs how long each health procedure waits for its component
 * @param queryMaxRows row limit of a cache query (the cache side enforces its own too)
 * @param queryTimeoutMs time limit of a cache query
 * @param nodeId this node's id (may be null)
 * @param feed the change feed's and read-your-writes' keys ({@code api.changes_*}, {@code
 *     api.wait_*}; defaults and validation in {@link FeedConfig})
 */
public record ApiConfig(
    String host,
    int port,
    String key,
    boolean openReads,
    long bodyLimitBytes,
    long requestTimeoutMs,
    List<String> corsOrigins,
    long healthTimeoutMs,
    int queryMaxRows,
    long queryTimeoutMs,
    String nodeId,
    FeedConfig feed) {

  public static final String DEFAULT_HOST = "0.0.0.0";
  public static final int DEFAULT_PORT = 8080;
  public static final boolean DEFAULT_OPEN_READS = false;
  public static final long DEFAULT_BODY_LIMIT_BYTES = 1_048_576L;
  public static final long DEFAULT_REQUEST_TIMEOUT_MS = 30_000L;
  public static final long DEFAULT_HEALTH_TIMEOUT_MS = 2_000L;
  public static final int DEFAULT_QUERY_MAX_ROWS = 1000;
  public static final long DEFAULT_QUERY_TIMEOUT_MS = 5_000L;

  /** Keys shorter than this work but are logged as weak. */
  public static final int RECOMMENDED_KEY_LENGTH = 16;

  public static final int MAX_KEY_LENGTH = 1024;

  public ApiConfig {
    corsOrigins = List.copyOf(corsOrigins);
  }

  /** Defaults for every key, bound to {@code port}. */
  public static ApiConfig defaults(int port) {
    return new ApiConfig(
        DEFAULT_HOST,
        port,
        null,
        DEFAULT_OPEN_READS,
        DEFAULT_BODY_LIMIT_BYTES,
        DEFAULT_REQUEST_TIMEOUT_MS,
        List.of(),
        DEFAULT_HEALTH_TIMEOUT_MS,
        DEFAULT_QUERY_MAX_ROWS,
        DEFAULT_QUERY_TIMEOUT_MS,
        null,
        FeedConfig.defaults());
  }

  public boolean hasKey() {
    return key != null;
  }

  /**
   * Reads and validates the {@code api} section of {@code root}; throws {@link
   * IllegalArgumentException} on bad values.
   */
  public static ApiConfig fromJson(JsonObject root) {
    JsonObject r = root == null ? new JsonObject() : root;
    JsonObject api = section(r, "api");
    JsonObject cache = section(r, "cache");

    String host = string(api, "api.host", "host", DEFAULT_HOST);
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException(
          "api.host must be a non-empty host name or address, got \"" + host + "\"");
    }
    long port = integer(api, "api.port", "port", DEFAULT_PORT, Long.MIN_VALUE, Long.MAX_VALUE);
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(
          "api.port must be between 0 and 65535 (0: any free port), got " + port);
    }
    String key = string(api, "api.key", "key", null);
    if (key != null) {
      if (key.isBlank()) {
        key = null; // an empty key means "not configured"
      } else if (!key.strip().equals(key) || key.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
        throw new IllegalArgumentException("api.key must be printable ASCII without spaces");
      } else if (key.length() > MAX_KEY_LENGTH) {
        throw new IllegalArgumentException(
            "api.key must be at most " + MAX_KEY_LENGTH + " characters, got " + key.length());
      }
    }
    boolean openReads = bool(api, "api.open_reads", "open_reads", DEFAULT_OPEN_READS);
    long bodyLimit =
        integer(
            api,
            "api.body_limit_bytes",
            "body_limit_bytes",
            DEFAULT_BODY_LIMIT_BYTES,
            Long.MIN_VALUE,
            Long.MAX_VALUE);
    if (bodyLimit < 1024 || bodyLimit > 1_073_741_824L) {
      throw new IllegalArgumentException(
          "api.body_limit_bytes must be between 1024 and 1073741824, got " + bodyLimit);
    }
    long requestTimeout =
        integer(
            api,
            "api.request_timeout_ms",
            "request_timeout_ms",
            DEFAULT_REQUEST_TIMEOUT_MS,
            100,
            Long.MAX_VALUE);
    long healthTimeout =
        integer(
            api,
            "api.health_timeout_ms",
            "health_timeout_ms",
            DEFAULT_HEALTH_TIMEOUT_MS,
            1,
            Long.MAX_VALUE);
    List<String> origins = origins(api);
    long maxRows =
        integer(
            cache,
            "cache.query_max_rows",
            "query_max_rows",
            DEFAULT_QUERY_MAX_ROWS,
            Long.MIN_VALUE,
            Long.MAX_VALUE);
    if (maxRows < 1 || maxRows > 1_000_000) {
      throw new IllegalArgumentException(
          "cache.query_max_rows must be between 1 and 1000000, got " + maxRows);
    }
    long queryTimeout =
        integer(
            cache,
            "cache.query_timeout_ms",
            "query_timeout_ms",
            DEFAULT_QUERY_TIMEOUT_MS,
            1,
            Long.MAX_VALUE);
    String nodeId = string(r, "node_id", "node_id", null); // stays null when not configured
    return new ApiConfig(
        host,
        (int) port,
        key,
        openReads,
        bodyLimit,
        requestTimeout,
        origins,
        healthTimeout,
        (int) maxRows,
        queryTimeout,
        nodeId,
        FeedConfig.fromJson(api));
  }

  private static List<String> origins(JsonObject api) {
    Object v = api.getValue("cors_origins");
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof JsonArray arr)) {
      throw new IllegalArgumentException("api.cors_origins must be an array of origins, got " + v);
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < arr.size(); i++) {
      Object o = arr.getValue(i);
      String f = "api.cors_origins[" + i + "]";
      if (!(o instanceof String s) || s.isBlank()) {
        throw new IllegalArgumentException(f + " must be a non-empty string, got " + o);
      }
      if (!s.equals("*")) {
        checkOrigin(f, s);
      }
      out.add(s);
    }
    if (out.contains("*") && out.size() > 1) {
      throw new IllegalArgumentException(
          "api.cors_origins: \"*\" must be the only entry when present, got " + out);
    }
    return out;
  }

  private static void checkOrigin(String field, String origin) {
    URI uri;
    try {
      uri = new URI(origin);
    } catch (Exception e) {
      throw new IllegalArgumentException(
          field + " must be an origin like https://example.com[:port], got \"" + origin + "\"");
    }
    boolean ok =
        ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
            && uri.getHost() != null
            && (uri.getRawPath() == null || uri.getRawPath().isEmpty())
            && uri.getRawQuery() == null
            && uri.getRawFragment() == null
            && uri.getRawUserInfo() == null;
    if (!ok) {
      throw new IllegalArgumentException(
          field
              + " must be an origin like https://example.com[:port] (no path), got \""
              + origin
              + "\"");
    }
  }
}
