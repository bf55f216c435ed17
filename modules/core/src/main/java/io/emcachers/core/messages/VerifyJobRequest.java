package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/** {@code emc.verify.get}: one verification run by id. */
public record VerifyJobRequest(String id) implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("id", id);
  }

  public static VerifyJobRequest fromJson(JsonObject json) {
    return new VerifyJobRequest(json.getString("id"));
  }
}
