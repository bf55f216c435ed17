package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.emcachers.core.status.ComponentState;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * {@code emc.status} (publish): one event of the status feed. {@code type} is one of {@code
 * component} (a component's state changed), {@code entity} (entity status changed), {@code
 * progress} (per-entity progress and lag), {@code error}. {@code entity} may be null. {@code state}
 * is a wire string: a {@link ComponentState} for {@code component} events, the entity status for
 * {@code entity} events, a short word for the others. Publish through {@code
 * io.emcachers.core.status.StatusPublisher}.
 */
public record StatusEvent(
    String type, String component, String entity, String state, JsonObject data, Instant ts)
    implements BusMessage {

  public static final String TYPE_COMPONENT = "component";
  public static final String TYPE_ENTITY = "entity";
  public static final String TYPE_PROGRESS = "progress";
  public static final String TYPE_ERROR = "error";

  public static StatusEvent of(
      String type, String component, String entity, String state, JsonObject data) {
    return new StatusEvent(
        type, component, entity, state, data == null ? new JsonObject() : data, Instant.now());
  }

  /** A {@code component} event. */
  public static StatusEvent component(String component, ComponentState state, JsonObject data) {
    return of(TYPE_COMPONENT, component, null, state.wire(), data);
  }

  /**
   * The state of a {@code component} event as a {@link ComponentState}, or null (another type, or a
   * state unknown here).
   */
  public ComponentState componentState() {
    return TYPE_COMPONENT.equals(type) ? ComponentState.parse(state) : null;
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject()
        .put("type", type)
        .put("component", component)
        .put("entity", entity)
        .put("state", state)
        .put("data", data)
        .put("ts", ts == null ? null : ts.toString());
  }

  public static StatusEvent fromJson(JsonObject json) {
    String ts = json.getString("ts");
    return new StatusEvent(
        json.getString("type"),
        json.getString("component"),
        json.getString("entity"),
        json.getString("state"),
        json.getJsonObject("data", new JsonObject()),
        ts == null ? null : Instant.parse(ts));
  }
}
