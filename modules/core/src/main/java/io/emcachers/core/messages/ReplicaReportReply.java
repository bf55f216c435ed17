package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/**
 * Reply of {@code emc.oplog.replica.report}: the oplog's horizons and what the registry now holds
 * for the node.
 *
 * @param compactedBelow history below this id may be compacted: {@code emc.oplog.read} with {@code
 *     after + 1 < compactedBelow} fails COMPACTED (0: never compacted)
 * @param tombstoneHorizon deletes below this id may have been removed (0: none removed)
 * @param appliedOffset the offset now stored for the node (never lower than before unless rebuilt)
 * @param rebuildRequired true when deletes this node had not applied may have been removed (it was
 *     not seen within {@code oplog.replica_expiry_ms} while a compaction passed its offset, or it
 *     registered with an offset below the tombstone horizon): the node must drop its caches,
 *     rebuild them from the compacted state ({@code emc.oplog.read.compacted} from 0) and report
 *     {@code rebuilt = true}
 */
public record ReplicaReportReply(
    long compactedBelow, long tombstoneHorizon, long appliedOffset, boolean rebuildRequired)
    implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject()
        .put("compacted_below", compactedBelow)
        .put("tombstone_horizon", tombstoneHorizon)
        .put("applied_offset", appliedOffset)
        .put("rebuild_required", rebuildRequired);
  }

  public static ReplicaReportReply fromJson(JsonObject json) {
    return new ReplicaReportReply(
        json.getLong("compacted_below", 0L),
        json.getLong("tombstone_horizon", 0L),
        json.getLong("applied_offset", 0L),
        json.getBoolean("rebuild_required", false));
  }
}
