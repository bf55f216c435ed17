package io.emcachers.api.changes;

import static io.emcachers.core.config.ConfigValues.integer;

import io.vertx.core.json.JsonObject;

/**
 * The change feed's and read-your-writes' settings: keys {@code api.changes_*} and {@code
 * api.wait_*} of the {@code api} section (part of {@code ApiConfig}).
 *
 * @param batchRows oplog rows one read of a streaming client (SSE, WebSocket) takes; what the
 *     server holds for a client beyond its write queue
 * @param maxQueuedBytes bytes written to a streaming client and not yet taken by its connection
 *     above which the server stops reading the oplog for it (its write queue bound)
 * @param slowClientTimeoutMs how long a streaming client's queue may stay full before the server
 *     disconnects it (it resumes with {@code Last-Event-ID} / {@code after})
 * @param heartbeatMs idle interval of SSE comment lines and WebSocket pings (keeps proxies open)
 * @param pollTimeoutMs default wait of a long-poll ({@code live=true}) without {@code timeout_ms}
 * @param maxWaitMs the largest {@code timeout_ms} a long-poll or a read-your-writes wait accepts
 * @param waitTimeoutMs default {@code timeout_ms} of {@code GET /api/cache/{entity}/wait}
 * @param maxStreams most streaming clients (SSE + WebSocket) at once; more get 503
 */
public record FeedConfig(
    int batchRows,
    long maxQueuedBytes,
    long slowClientTimeoutMs,
    long heartbeatMs,
    long pollTimeoutMs,
    long maxWaitMs,
    long waitTimeoutMs,
    int maxStreams) {

  public static final int DEFAULT_BATCH_ROWS = 500;
  public static final long DEFAULT_MAX_QUEUED_BYTES = 1_048_576L;
  public static final long DEFAULT_SLOW_CLIENT_TIMEOUT_MS = 10_000L;
  public static final long DEFAULT_HEARTBEAT_MS = 15_000L;
  public static final long DEFAULT_POLL_TIMEOUT_MS = 25_000L;
  public static final long DEFAULT_MAX_WAIT_MS = 300_000L;
  public static final long DEFAULT_WAIT_TIMEOUT_MS = 10_000L;
  public static final int DEFAULT_MAX_STREAMS = 1000;

  public static FeedConfig defaults() {
    return fromJson(new JsonObject());
  }

  /** Reads and validates the keys from the {@code api} section; throws on bad values. */
  public static FeedConfig fromJson(JsonObject api) {
    JsonObject a = api == null ? new JsonObject() : api;
    long batchRows =
        integer(a, "api.changes_batch_rows", "changes_batch_rows", DEFAULT_BATCH_ROWS, 1, 10_000);
    long maxQueued =
        integer(
            a,
            "api.changes_max_queued_bytes",
            "changes_max_queued_bytes",
            DEFAULT_MAX_QUEUED_BYTES,
            1024,
            1_073_741_824L);
    long slow =
        integer(
            a,
            "api.changes_slow_client_timeout_ms",
            "changes_slow_client_timeout_ms",
            DEFAULT_SLOW_CLIENT_TIMEOUT_MS,
            1,
            3_600_000L);
    long heartbeat =
        integer(
            a,
            "api.changes_heartbeat_ms",
            "changes_heartbeat_ms",
            DEFAULT_HEARTBEAT_MS,
            100,
            3_600_000L);
    long maxWait = integer(a, "api.wait_max_ms", "wait_max_ms", DEFAULT_MAX_WAIT_MS, 1, 3_600_000L);
    long poll =
        integer(
            a,
            "api.changes_poll_timeout_ms",
            "changes_poll_timeout_ms",
            DEFAULT_POLL_TIMEOUT_MS,
            1,
            Long.MAX_VALUE);
    if (poll > maxWait) {
      throw new IllegalArgumentException(
          "api.changes_poll_timeout_ms must be <= api.wait_max_ms (" + maxWait + "), got " + poll);
    }
    long waitTimeout =
        integer(
            a,
            "api.wait_timeout_ms",
            "wait_timeout_ms",
            DEFAULT_WAIT_TIMEOUT_MS,
            1,
            Long.MAX_VALUE);
    if (waitTimeout > maxWait) {
      throw new IllegalArgumentException(
          "api.wait_timeout_ms must be <= api.wait_max_ms (" + maxWait + "), got " + waitTimeout);
    }
    long maxStreams =
        integer(
            a, "api.changes_max_streams", "changes_max_streams", DEFAULT_MAX_STREAMS, 1, 100_000);
    return new FeedConfig(
        (int) batchRows, maxQueued, slow, heartbeat, poll, maxWait, waitTimeout, (int) maxStreams);
  }
}
