package io.emcachers.oplog;

import static io.emcachers.core.config.ConfigValues.integer;

import io.emcachers.core.config.ConfigValues;
import io.vertx.core.json.JsonObject;

/**
 * The leader lease and the writer session's dead-peer detection, from the {@code oplog} section.
 *
 * @param renewMs how often the leader renews its lease row ({@code oplog.lease_renew_ms})
 * @param ttlMs how long a lease stays valid after a renewal ({@code oplog.lease_ttl_ms}); a standby
 *     ends the holder's session once it has passed, and the leader stops writing by itself before
 *     that
 * @param keepaliveIdleS {@code tcp_keepalives_idle} of the oplog's sessions ({@code
 *     oplog.tcp_keepalives_idle_s}): the server probes a silent client after this long
 * @param keepaliveIntervalS {@code tcp_keepalives_interval} ({@code
 *     oplog.tcp_keepalives_interval_s})
 * @param keepaliveCount {@code tcp_keepalives_count} ({@code oplog.tcp_keepalives_count})
 * @param tcpUserTimeoutMs {@code tcp_user_timeout} ({@code oplog.tcp_user_timeout_ms}): unacked
 *     data older than this ends the server's side of the connection
 */
public record LeaseConfig(
    long renewMs,
    long ttlMs,
    int keepaliveIdleS,
    int keepaliveIntervalS,
    int keepaliveCount,
    int tcpUserTimeoutMs) {

  public static final long DEFAULT_RENEW_MS = 2000L;
  public static final long DEFAULT_TTL_MS = 10_000L;
  public static final int DEFAULT_KEEPALIVES_IDLE_S = 5;
  public static final int DEFAULT_KEEPALIVES_INTERVAL_S = 2;
  public static final int DEFAULT_KEEPALIVES_COUNT = 3;
  public static final int DEFAULT_TCP_USER_TIMEOUT_MS = 10_000;

  public LeaseConfig {
    ConfigValues.require(
        ttlMs >= 2 * renewMs,
        "oplog.lease_ttl_ms ("
            + ttlMs
            + ") must be at least twice oplog.lease_renew_ms ("
            + renewMs
            + "), so one late renewal does not depose a healthy leader");
  }

  /** Reads and validates the lease keys of the {@code oplog} section. */
  public static LeaseConfig fromJson(JsonObject oplog) {
    return new LeaseConfig(
        integer(
            oplog,
            "oplog.lease_renew_ms",
            "lease_renew_ms",
            DEFAULT_RENEW_MS,
            50,
            Integer.MAX_VALUE / 4),
        integer(
            oplog, "oplog.lease_ttl_ms", "lease_ttl_ms", DEFAULT_TTL_MS, 100, Integer.MAX_VALUE),
        (int)
            integer(
                oplog,
                "oplog.tcp_keepalives_idle_s",
                "tcp_keepalives_idle_s",
                DEFAULT_KEEPALIVES_IDLE_S,
                1,
                3600),
        (int)
            integer(
                oplog,
                "oplog.tcp_keepalives_interval_s",
                "tcp_keepalives_interval_s",
                DEFAULT_KEEPALIVES_INTERVAL_S,
                1,
                3600),
        (int)
            integer(
                oplog,
                "oplog.tcp_keepalives_count",
                "tcp_keepalives_count",
                DEFAULT_KEEPALIVES_COUNT,
                1,
                100),
        (int)
            integer(
                oplog,
                "oplog.tcp_user_timeout_ms",
                "tcp_user_timeout_ms",
                DEFAULT_TCP_USER_TIMEOUT_MS,
                0,
                Integer.MAX_VALUE));
  }

  /**
   * How long before the lease's expiry the leader stops by itself: a renewal's round trip is
   * counted from when it was sent, so this margin only absorbs timer jitter.
   */
  public long selfFenceMarginMs() {
    return Math.max(50, Math.min(renewMs, ttlMs / 5));
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("lease_renew_ms", renewMs)
        .put("lease_ttl_ms", ttlMs)
        .put("tcp_keepalives_idle_s", keepaliveIdleS)
        .put("tcp_keepalives_interval_s", keepaliveIntervalS)
        .put("tcp_keepalives_count", keepaliveCount)
        .put("tcp_user_timeout_ms", tcpUserTimeoutMs);
  }
}
