package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/**
 * {@code emc.replicator.applied} (node-local publish): the node's replicator committed its offset
 * after a batch: every cache this node holds has applied every oplog row up to {@code offset}.
 */
public record ReplicatorApplied(String node, long offset) implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("node", node).put("offset", offset);
  }

  public static ReplicatorApplied fromJson(JsonObject json) {
    return new ReplicatorApplied(json.getString("node"), json.getLong("offset", 0L));
  }
}
