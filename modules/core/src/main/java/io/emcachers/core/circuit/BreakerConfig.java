package io.emcachers.core.circuit;

import io.emcachers.core.config.ConfigValues;
import io.vertx.core.json.JsonObject;

/**
 * Settings of the circuit breakers around PostgreSQL and MongoDB, from the root config's {@code
 * circuit} section (environment: {@code EMC_CIRCUIT_FAILURE_THRESHOLD}, ...). One section serves
 * every breaker.
 *
 * @param failureThreshold infrastructure failures within {@code failureWindowMs} that open the
 *     breaker
 * @param resetTimeoutMs how long an open breaker refuses calls before it lets one probe through
 *     (half-open)
 * @param callTimeoutMs a short call (a read, a health query, a MongoDB command) not answered within
 *     this fails with a timeout that counts as a failure; 0 disables it. Long work (write-queue
 *     units, the streamed proven-delete read, ANALYZE, the writer's connect) is never timed by the
 *     breaker: it has its own bound ({@code oplog.write_timeout_ms}, {@code
 *     postgres.connect_timeout_ms})
 * @param failureWindowMs the rolling window failures are counted in; older failures are forgotten
 */
public record BreakerConfig(
    int failureThreshold, long resetTimeoutMs, long callTimeoutMs, long failureWindowMs) {

  public static final String SECTION = "circuit";
  public static final int DEFAULT_FAILURE_THRESHOLD = 5;
  public static final long DEFAULT_RESET_TIMEOUT_MS = 2_000;
  public static final long DEFAULT_CALL_TIMEOUT_MS = 30_000;
  public static final long DEFAULT_FAILURE_WINDOW_MS = 10_000;

  public static final BreakerConfig DEFAULTS =
      new BreakerConfig(
          DEFAULT_FAILURE_THRESHOLD,
          DEFAULT_RESET_TIMEOUT_MS,
          DEFAULT_CALL_TIMEOUT_MS,
          DEFAULT_FAILURE_WINDOW_MS);

  public BreakerConfig {
    ConfigValues.requireMin(SECTION + ".failure_threshold", failureThreshold, 1);
    ConfigValues.requireMin(SECTION + ".reset_timeout_ms", resetTimeoutMs, 1);
    ConfigValues.requireMin(SECTION + ".call_timeout_ms", callTimeoutMs, 0);
    ConfigValues.requireMin(SECTION + ".failure_window_ms", failureWindowMs, 1);
  }

  /**
   * Reads {@code circuit.*} from the root config; a missing section or key takes the default.
   *
   * @throws IllegalArgumentException naming the key, e.g. {@code "circuit.failure_threshold must be
   *     >= 1, got 0"}
   */
  public static BreakerConfig fromJson(JsonObject root) {
    JsonObject c = ConfigValues.section(root == null ? new JsonObject() : root, SECTION);
    return new BreakerConfig(
        (int)
            ConfigValues.integer(
                c,
                SECTION + ".failure_threshold",
                "failure_threshold",
                DEFAULT_FAILURE_THRESHOLD,
                1,
                1_000_000),
        ConfigValues.integer(
            c,
            SECTION + ".reset_timeout_ms",
            "reset_timeout_ms",
            DEFAULT_RESET_TIMEOUT_MS,
            1,
            86_400_000L),
        ConfigValues.integer(
            c,
            SECTION + ".call_timeout_ms",
            "call_timeout_ms",
            DEFAULT_CALL_TIMEOUT_MS,
            0,
            86_400_000L),
        ConfigValues.integer(
            c,
            SECTION + ".failure_window_ms",
            "failure_window_ms",
            DEFAULT_FAILURE_WINDOW_MS,
            1,
            86_400_000L));
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("failure_threshold", failureThreshold)
        .put("reset_timeout_ms", resetTimeoutMs)
        .put("call_timeout_ms", callTimeoutMs)
        .put("failure_window_ms", failureWindowMs);
  }
}
