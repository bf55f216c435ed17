package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/**
 * {@code emc.oplog.replica.remove}: forgets a replicator node that is gone, so it no longer holds
 * the tombstone horizon back. Reply {@link ReplicaRemoveReply}. A removed node that reports again
 * registers anew (and must rebuild when its offset is below the tombstone horizon).
 */
public record ReplicaRemoveRequest(String nodeId) implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("node_id", nodeId);
  }

  public static ReplicaRemoveRequest fromJson(JsonObject json) {
    return new ReplicaRemoveRequest(json.getString("node_id"));
  }
}
