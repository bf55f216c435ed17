package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/** {@code emc.oplog.appended} (publish): the oplog's new max id after a commit. */
public record OplogAppended(long headId) implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("head_id", headId);
  }

  public static OplogAppended fromJson(JsonObject json) {
    return new OplogAppended(json.getLong("head_id", 0L));
  }
}
