package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/**
 * One verification run ({@code emc.verify.start|get|list}): which entity on which node, whether it
 * repairs, its {@code state} ({@code running}, {@code finished}, {@code failed}, {@code stopped}),
 * the step it is in, its counts, at most 100 sample doc ids that differ, start, end and duration,
 * and the error of a failed run.
 */
public record VerifyJob(
    String id,
    String entity,
    String node,
    boolean repair,
    String state,
    String step,
    Instant startedAt,
    Instant finishedAt,
    long durationMs,
    Counts counts,
    List<String> sampleIds,
    String error)
    implements BusMessage {

  public static final String RUNNING = "running";
  public static final String FINISHED = "finished";
  public static final String FAILED = "failed";
  public static final String STOPPED = "stopped";

  /** At most this many sample doc ids. */
  public static final int MAX_SAMPLES = 100;

  /** The numbers of a run. */
  public record Counts(
      long docsChecked,
      long matched,
      long missing,
      long extra,
      long different,
      long repairedOplog,
      long repairedLocal,
      long superseded,
      long repairFailed) {

    public static final Counts ZERO = new Counts(0, 0, 0, 0, 0, 0, 0, 0, 0);

    public JsonObject toJson() {
      return new JsonObject()
          .put("docs_checked", docsChecked)
          .put("matched", matched)
          .put("missing", missing)
          .put("extra", extra)
          .put("different", different)
          .put("repaired_oplog", repairedOplog)
          .put("repaired_local", repairedLocal)
          .put("superseded", superseded)
          .put("repair_failed", repairFailed);
    }

    public static Counts fromJson(JsonObject j) {
      if (j == null) {
        return ZERO;
      }
      return new Counts(
          j.getLong("docs_checked", 0L),
          j.getLong("matched", 0L),
          j.getLong("missing", 0L),
          j.getLong("extra", 0L),
          j.getLong("different", 0L),
          j.getLong("repaired_oplog", 0L),
          j.getLong("repaired_local", 0L),
          j.getLong("superseded", 0L),
          j.getLong("repair_failed", 0L));
    }
  }

  public VerifyJob {
    counts = counts == null ? Counts.ZERO : counts;
    sampleIds = sampleIds == null ? List.of() : List.copyOf(sampleIds);
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id)
        .put("entity", entity)
        .put("node", node)
        .put("repair", repair)
        .put("state", state)
        .put("step", step)
        .put("started_at", startedAt == null ? null : startedAt.toString())
        .put("finished_at", finishedAt == null ? null : finishedAt.toString())
        .put("duration_ms", durationMs)
        .put("counts", counts.toJson())
        .put("sample_ids", new JsonArray(sampleIds))
        .put("error", error);
  }

  public static VerifyJob fromJson(JsonObject json) {
    String started = json.getString("started_at");
    String finished = json.getString("finished_at");
    JsonArray samples = json.getJsonArray("sample_ids");
    return new VerifyJob(
        json.getString("id"),
        json.getString("entity"),
        json.getString("node"),
        json.getBoolean("repair", false),
        json.getString("state"),
        json.getString("step"),
        started == null ? null : Instant.parse(started),
        finished == null ? null : Instant.parse(finished),
        json.getLong("duration_ms", 0L),
        Counts.fromJson(json.getJsonObject("counts")),
        samples == null ? List.of() : samples.stream().map(String::valueOf).toList(),
        json.getString("error"));
  }
}
