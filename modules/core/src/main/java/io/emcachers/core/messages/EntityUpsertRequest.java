package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/**
 * {@code emc.entities.create} / {@code emc.entities.update}: the raw entity definition in the
 * design notes' format. The entity manager validates it (field-level errors, code VALIDATION).
 */
public record EntityUpsertRequest(JsonObject definition) implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("definition", definition);
  }

  public static EntityUpsertRequest fromJson(JsonObject json) {
    return new EntityUpsertRequest(json.getJsonObject("definition"));
  }
}
