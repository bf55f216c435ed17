package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.emcachers.core.model.Entity;
import io.vertx.core.json.JsonObject;

/** One entity, as stored. */
public record EntityReply(Entity entity) implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("entity", entity.toJson());
  }

  public static EntityReply fromJson(JsonObject json) {
    return new EntityReply(Entity.fromJson(json.getJsonObject("entity")));
  }
}
