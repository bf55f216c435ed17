package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.emcachers.core.status.ComponentState;
import io.vertx.core.json.JsonObject;

/**
 * A component's health: {@code ok}, a short {@code state} (the wire name of a {@link
 * ComponentState}, e.g. leader, standby, streaming), and details.
 */
public record HealthReply(String component, boolean ok, String state, JsonObject details)
    implements BusMessage {

  public HealthReply {
    details = details == null ? new JsonObject() : details;
  }

  public HealthReply(String component, boolean ok, ComponentState state, JsonObject details) {
    this(component, ok, state == null ? null : state.wire(), details);
  }

  /**
   * {@code state} as a {@link ComponentState}, or null when it is not one (another node's newer
   * state).
   */
  public ComponentState componentState() {
    return ComponentState.parse(state);
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject()
        .put("component", component)
        .put("ok", ok)
        .put("state", state)
        .put("details", details);
  }

  public static HealthReply fromJson(JsonObject json) {
    return new HealthReply(
        json.getString("component"),
        json.getBoolean("ok", false),
        json.getString("state"),
        json.getJsonObject("details"));
  }
}
