package io.emcachers.bench;

import io.vertx.core.json.JsonObject;

/**
 * The figures of one {@link StreamingStage} step: the rate asked for and reached, the latency
 * distribution, the first and last second's medians, the drain time, whether the rate was sustained
 * (and why not), and the per-hop split ({@link StreamingHops}).
 */
record StreamingStep(
    double targetRate,
    double seconds,
    long changes,
    long visible,
    long writeErrors,
    double achievedRate,
    Percentiles latency,
    double firstSecondP50Ms,
    double lastSecondP50Ms,
    double drainMs,
    boolean sustained,
    String verdict,
    JsonObject hops) {

  JsonObject toJson() {
    return latency
        .toJson()
        .put("hops", hops)
        .put("target_rate", targetRate)
        .put("seconds", seconds)
        .put("changes", changes)
        .put("visible", visible)
        .put("write_errors", writeErrors)
        .put("achieved_rate", Math.round(achievedRate))
        .put("first_second_p50_ms", firstSecondP50Ms)
        .put("last_second_p50_ms", lastSecondP50Ms)
        .put("drain_ms", drainMs)
        .put("sustained", sustained)
        .put("verdict", verdict);
  }
}
