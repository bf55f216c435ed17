package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/**
 * Reply to {@code emc.oplog.cluster-time}, read in one PostgreSQL snapshot: the entity's status,
 * the change stream that feeds it ({@code stream}: its source collection, or {@code _db} for a
 * database-level stream; null when no position of either is stored), that stream's committed
 * cluster-time high-water mark {@code clusterTime} (every source change of the stream at or below
 * it is committed — in {@code oplog}, or in staging while the entity is not live; null when the
 * source gave no cluster time yet), and the oplog head {@code headId} of the same snapshot.
 *
 * <p>So when {@code status} is {@code live} and {@code clusterTime >= T}, every change of the
 * entity's source up to cluster time T has an oplog row with an id at most {@code headId}.
 */
public record ClusterTimeReply(
    String entity, String status, String stream, Long clusterTime, long headId)
    implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject()
        .put("entity", entity)
        .put("status", status)
        .put("stream", stream)
        .put("cluster_time", clusterTime)
        .put("head_id", headId);
  }

  public static ClusterTimeReply fromJson(JsonObject json) {
    return new ClusterTimeReply(
        json.getString("entity"),
        json.getString("status"),
        json.getString("stream"),
        json.getLong("cluster_time"),
        json.getLong("head_id", 0L));
  }
}
