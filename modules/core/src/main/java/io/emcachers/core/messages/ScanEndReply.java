package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.emcachers.core.model.Entity;
import io.vertx.core.json.JsonObject;

/**
 * Reply to {@code emc.oplog.scan.end}: how many staged rows moved, the new head, the live entity.
 */
public record ScanEndReply(Entity entity, int moved, long headId) implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject()
        .put("entity", entity.toJson())
        .put("moved", moved)
        .put("head_id", headId);
  }

  public static ScanEndReply fromJson(JsonObject json) {
    return new ScanEndReply(
        Entity.fromJson(json.getJsonObject("entity")),
        json.getInteger("moved", 0),
        json.getLong("head_id", 0L));
  }
}
