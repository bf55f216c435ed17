package io.emcachers.core.messages;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * One entry of the oplog's replica registry (a value inside {@link ReplicaListReply} and {@link
 * OplogStatsReply}, not a bus message of its own).
 *
 * @param live seen within {@code oplog.replica_expiry_ms}: only live replicas hold the tombstone
 *     horizon back
 * @param lag the oplog head minus {@code appliedOffset} when it was read
 */
public record ReplicaInfo(
    String nodeId,
    long appliedOffset,
    Instant lastSeen,
    Instant registeredAt,
    boolean live,
    boolean rebuildRequired,
    long lag) {

  public JsonObject toJson() {
    return new JsonObject()
        .put("node_id", nodeId)
        .put("applied_offset", appliedOffset)
        .put("last_seen", lastSeen == null ? null : lastSeen.toString())
        .put("registered_at", registeredAt == null ? null : registeredAt.toString())
        .put("live", live)
        .put("rebuild_required", rebuildRequired)
        .put("lag", lag);
  }

  public static ReplicaInfo fromJson(JsonObject json) {
    String seen = json.getString("last_seen");
    String registered = json.getString("registered_at");
    return new ReplicaInfo(
        json.getString("node_id"),
        json.getLong("applied_offset", 0L),
        seen == null ? null : Instant.parse(seen),
        registered == null ? null : Instant.parse(registered),
        json.getBoolean("live", false),
        json.getBoolean("rebuild_required", false),
        json.getLong("lag", 0L));
  }
}
