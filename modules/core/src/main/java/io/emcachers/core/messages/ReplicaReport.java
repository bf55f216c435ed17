package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/**
 * {@code emc.oplog.replica.report}: a replicator node registers (first report) or refreshes its
 * entry in the oplog's replica registry. {@code appliedOffset} is the highest oplog id the node has
 * applied to all its caches (0: nothing yet). The stored offset never moves backwards, except when
 * {@code rebuilt} is true: the node dropped its caches and bootstraps again from the compacted
 * state, so its offset restarts (usually at 0) and a pending rebuild request is cleared.
 */
public record ReplicaReport(String nodeId, long appliedOffset, boolean rebuilt)
    implements BusMessage {

  public ReplicaReport(String nodeId, long appliedOffset) {
    this(nodeId, appliedOffset, false);
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject()
        .put("node_id", nodeId)
        .put("applied_offset", appliedOffset)
        .put("rebuilt", rebuilt);
  }

  public static ReplicaReport fromJson(JsonObject json) {
    return new ReplicaReport(
        json.getString("node_id"),
        json.getLong("applied_offset", 0L),
        json.getBoolean("rebuilt", false));
  }
}
