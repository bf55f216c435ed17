package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/** {@code emc.entities.list} / {@code emc.entities.refresh}; deleted entities only on request. */
public record EntityListRequest(boolean includeDeleted) implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("include_deleted", includeDeleted);
  }

  public static EntityListRequest fromJson(JsonObject json) {
    return new EntityListRequest(json.getBoolean("include_deleted", false));
  }
}
