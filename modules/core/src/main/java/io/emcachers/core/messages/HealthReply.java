package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/** A component's health: {@code ok}, a short {@code state} (e.g. leader, standby, streaming), and details. */
public record HealthReply(String component, boolean ok, String state, JsonObject details) implements BusMessage {

  public HealthReply {
    details = details == null ? new JsonObject() : details;
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("component", component).put("ok", ok).put("state", state).put("details", details);
  }

  public static HealthReply fromJson(JsonObject json) {
    return new HealthReply(json.getString("component"), json.getBoolean("ok", false), json.getString("state"), json.getJsonObject("details"));
  }
}
