package io.emcachers.core.cluster;

import static io.emcachers.core.config.ConfigValues.integer;
import static io.emcachers.core.config.ConfigValues.section;

import io.vertx.core.json.JsonObject;

/**
 * The membership keys of the {@code cluster} section: how often every node says it is alive, and
 * when a silent node counts as stale and then as gone.
 *
 * @param heartbeatMs how often a node publishes its {@code NodeHeartbeat}
 * @param staleAfterMs a node not heard from for this long is stale: no longer live, no longer
 *     assigned entities, still listed (with {@code stale: true})
 * @param forgetAfterMs a stale node is dropped from the view after this long
 * @param readAttemptTimeoutMs how long an API cache read waits for one holder before it asks the
 *     next (a holder that died costs this once)
 */
public record MembershipConfig(
    long heartbeatMs, long staleAfterMs, long forgetAfterMs, long readAttemptTimeoutMs) {

  public static final long DEFAULT_HEARTBEAT_MS = 1000;
  public static final long DEFAULT_STALE_AFTER_MS = 5000;
  public static final long DEFAULT_FORGET_AFTER_MS = 3_600_000;
  public static final long DEFAULT_READ_ATTEMPT_TIMEOUT_MS = 1000;

  public MembershipConfig {
    if (staleAfterMs < 2 * heartbeatMs) {
      throw new IllegalArgumentException(
          "cluster.stale_after_ms must be at least twice cluster.heartbeat_ms ("
              + heartbeatMs
              + "), got "
              + staleAfterMs);
    }
    if (forgetAfterMs < staleAfterMs) {
      throw new IllegalArgumentException(
          "cluster.forget_after_ms must be at least cluster.stale_after_ms ("
              + staleAfterMs
              + "), got "
              + forgetAfterMs);
    }
  }

  /** How long a starting node listens before it trusts the member list it has heard. */
  public long settleMs() {
    return heartbeatMs * 5 / 2;
  }

  public static MembershipConfig fromJson(JsonObject root) {
    JsonObject c = section(root == null ? new JsonObject() : root, "cluster");
    return new MembershipConfig(
        integer(c, "cluster.heartbeat_ms", "heartbeat_ms", DEFAULT_HEARTBEAT_MS, 10, 600_000),
        integer(
            c, "cluster.stale_after_ms", "stale_after_ms", DEFAULT_STALE_AFTER_MS, 20, 86_400_000),
        integer(
            c,
            "cluster.forget_after_ms",
            "forget_after_ms",
            DEFAULT_FORGET_AFTER_MS,
            20,
            Long.MAX_VALUE),
        integer(
            c,
            "cluster.read_attempt_timeout_ms",
            "read_attempt_timeout_ms",
            DEFAULT_READ_ATTEMPT_TIMEOUT_MS,
            1,
            600_000));
  }
}
