package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * One compaction run: the reply of {@code emc.oplog.compact} and the {@code last_run} of {@code
 * OplogStatsReply}.
 *
 * @param compactionHorizon H of the run: rows below it that a later row of the same document
 *     supersedes were removed (exclusive bound)
 * @param tombstoneHorizon T of the run: deletes below it without a later row were removed
 * @param supersededRemoved superseded rows removed
 * @param tombstonesRemoved deletes removed
 * @param durationMs wall time of the run (candidate read, chunks, vacuum)
 * @param finishedAt when it ended
 */
public record CompactionReply(
    long compactionHorizon,
    long tombstoneHorizon,
    long supersededRemoved,
    long tombstonesRemoved,
    long durationMs,
    Instant finishedAt)
    implements BusMessage {

  public long removed() {
    return supersededRemoved + tombstonesRemoved;
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject()
        .put("compaction_horizon", compactionHorizon)
        .put("tombstone_horizon", tombstoneHorizon)
        .put("superseded_removed", supersededRemoved)
        .put("tombstones_removed", tombstonesRemoved)
        .put("removed", removed())
        .put("duration_ms", durationMs)
        .put("finished_at", finishedAt == null ? null : finishedAt.toString());
  }

  public static CompactionReply fromJson(JsonObject json) {
    String finished = json.getString("finished_at");
    return new CompactionReply(
        json.getLong("compaction_horizon", 0L),
        json.getLong("tombstone_horizon", 0L),
        json.getLong("superseded_removed", 0L),
        json.getLong("tombstones_removed", 0L),
        json.getLong("duration_ms", 0L),
        finished == null ? null : Instant.parse(finished));
  }
}
