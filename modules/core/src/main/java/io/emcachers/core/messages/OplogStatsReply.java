package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reply of {@code emc.oplog.stats}.
 *
 * @param rowsByEntity oplog rows per entity, ordered by entity
 * @param rows all oplog rows
 * @param stagingRows rows in {@code oplog_staging}
 * @param tableBytes {@code pg_relation_size('oplog')} (heap, without TOAST and indexes)
 * @param indexBytes {@code pg_indexes_size('oplog')}
 * @param totalBytes {@code pg_total_relation_size('oplog')} (heap + TOAST + indexes)
 * @param headId the highest oplog id
 * @param compactionHorizon H of the last run (0: none)
 * @param tombstoneHorizon the highest T any run used (0: none)
 * @param compactedBelow reads with {@code after + 1 < compactedBelow} fail COMPACTED
 * @param lastRun the last completed run, or null
 * @param replicas the replica registry with offsets and lag
 */
public record OplogStatsReply(
    Map<String, Long> rowsByEntity,
    long rows,
    long stagingRows,
    long tableBytes,
    long indexBytes,
    long totalBytes,
    long headId,
    long compactionHorizon,
    long tombstoneHorizon,
    long compactedBelow,
    CompactionReply lastRun,
    List<ReplicaInfo> replicas)
    implements BusMessage {

  public OplogStatsReply {
    rowsByEntity = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(rowsByEntity));
    replicas = List.copyOf(replicas);
  }

  @Override
  public JsonObject toJson() {
    JsonObject perEntity = new JsonObject();
    rowsByEntity.forEach(perEntity::put);
    JsonArray reps = new JsonArray();
    replicas.forEach(r -> reps.add(r.toJson()));
    return new JsonObject()
        .put("rows_by_entity", perEntity)
        .put("rows", rows)
        .put("staging_rows", stagingRows)
        .put("table_bytes", tableBytes)
        .put("index_bytes", indexBytes)
        .put("total_bytes", totalBytes)
        .put("head_id", headId)
        .put("compaction_horizon", compactionHorizon)
        .put("tombstone_horizon", tombstoneHorizon)
        .put("compacted_below", compactedBelow)
        .put("last_run", lastRun == null ? null : lastRun.toJson())
        .put("replicas", reps);
  }

  public static OplogStatsReply fromJson(JsonObject json) {
    Map<String, Long> perEntity = new LinkedHashMap<>();
    JsonObject pe = json.getJsonObject("rows_by_entity", new JsonObject());
    pe.fieldNames().stream().sorted().forEach(k -> perEntity.put(k, pe.getLong(k)));
    JsonObject last = json.getJsonObject("last_run");
    JsonArray reps = json.getJsonArray("replicas", new JsonArray());
    return new OplogStatsReply(
        perEntity,
        json.getLong("rows", 0L),
        json.getLong("staging_rows", 0L),
        json.getLong("table_bytes", 0L),
        json.getLong("index_bytes", 0L),
        json.getLong("total_bytes", 0L),
        json.getLong("head_id", 0L),
        json.getLong("compaction_horizon", 0L),
        json.getLong("tombstone_horizon", 0L),
        json.getLong("compacted_below", 0L),
        last == null ? null : CompactionReply.fromJson(last),
        reps.stream().map(o -> ReplicaInfo.fromJson((JsonObject) o)).toList());
  }
}
