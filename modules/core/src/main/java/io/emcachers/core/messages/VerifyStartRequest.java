package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/**
 * {@code emc.verify.start}: verify this node's cache of {@code entity} against its MongoDB source;
 * with {@code repair} the confirmed differences are repaired (otherwise nothing is changed).
 */
public record VerifyStartRequest(String entity, boolean repair) implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("entity", entity).put("repair", repair);
  }

  public static VerifyStartRequest fromJson(JsonObject json) {
    return new VerifyStartRequest(json.getString("entity"), json.getBoolean("repair", false));
  }
}
