package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.emcachers.core.model.EntityStatus;
import io.vertx.core.json.JsonObject;

/**
 * {@code emc.entities.set-status}: move an entity to {@code status}, with a reason for the status
 * feed.
 */
public record EntityStatusRequest(String name, EntityStatus status, String reason)
    implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("name", name).put("status", status.name()).put("reason", reason);
  }

  public static EntityStatusRequest fromJson(JsonObject json) {
    return new EntityStatusRequest(
        json.getString("name"),
        EntityStatus.parse(json.getString("status")),
        json.getString("reason"));
  }
}
