package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** Reply of {@code emc.oplog.replica.list}: the registry ordered by node id, and the oplog head. */
public record ReplicaListReply(List<ReplicaInfo> replicas, long headId) implements BusMessage {

  public ReplicaListReply {
    replicas = List.copyOf(replicas);
  }

  @Override
  public JsonObject toJson() {
    JsonArray arr = new JsonArray();
    replicas.forEach(r -> arr.add(r.toJson()));
    return new JsonObject().put("replicas", arr).put("head_id", headId);
  }

  public static ReplicaListReply fromJson(JsonObject json) {
    JsonArray arr = json.getJsonArray("replicas", new JsonArray());
    return new ReplicaListReply(
        arr.stream().map(o -> ReplicaInfo.fromJson((JsonObject) o)).toList(),
        json.getLong("head_id", 0L));
  }
}
