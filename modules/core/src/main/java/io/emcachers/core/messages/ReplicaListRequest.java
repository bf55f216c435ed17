package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/** {@code emc.oplog.replica.list}: every registered replicator node. */
public record ReplicaListRequest() implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject();
  }

  public static ReplicaListRequest fromJson(JsonObject json) {
    return new ReplicaListRequest();
  }
}
