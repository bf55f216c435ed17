package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/** Reply of {@code emc.oplog.replica.remove}: whether the node was registered. */
public record ReplicaRemoveReply(String nodeId, boolean removed) implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("node_id", nodeId).put("removed", removed);
  }

  public static ReplicaRemoveReply fromJson(JsonObject json) {
    return new ReplicaRemoveReply(json.getString("node_id"), json.getBoolean("removed", false));
  }
}
