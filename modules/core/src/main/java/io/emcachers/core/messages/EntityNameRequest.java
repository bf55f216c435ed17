package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/** {@code emc.entities.get} / {@code emc.entities.delete}: one entity by name. */
public record EntityNameRequest(String name) implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("name", name);
  }

  public static EntityNameRequest fromJson(JsonObject json) {
    return new EntityNameRequest(json.getString("name"));
  }
}
