package io.emcachers.core.jobs;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/** A job's schedule and the outcome of its runs, as the API shows them. */
public record JobStats(
    String name,
    long intervalMs,
    long initialDelayMs,
    boolean running,
    long runCount,
    long failureCount,
    Instant lastStart,
    long lastDurationMs,
    String lastOutcome,
    String lastError) {

  public static final String OUTCOME_OK = "ok";
  public static final String OUTCOME_FAILED = "failed";
  public static final String OUTCOME_CANCELLED = "cancelled";

  public JsonObject toJson() {
    return new JsonObject()
        .put("name", name)
        .put("interval_ms", intervalMs)
        .put("initial_delay_ms", initialDelayMs)
        .put("running", running)
        .put("run_count", runCount)
        .put("failure_count", failureCount)
        .put("last_start", lastStart == null ? null : lastStart.toString())
        .put("last_duration_ms", lastDurationMs)
        .put("last_outcome", lastOutcome)
        .put("last_error", lastError);
  }
}
