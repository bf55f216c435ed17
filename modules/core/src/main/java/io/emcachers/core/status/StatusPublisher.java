package io.emcachers.core.status;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.messages.StatusEvent;
import io.emcachers.core.model.EntityStatus;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;

/**
 * Publishes the {@link StatusEvent}s of one named component on {@link Addresses#STATUS}. When built
 * with a node id, every event's data carries it as {@code node}. Each method returns the event it
 * published. Safe from any thread (publishing on the event bus is).
 */
public final class StatusPublisher {

  private final EventBus bus;
  private final String component;
  private final String nodeId;

  /** Events of {@code component} with data as given. */
  public StatusPublisher(EventBus bus, String component) {
    this(bus, component, null);
  }

  /**
   * Events of {@code component}; {@code nodeId}, when not null, is added to every event's data as
   * {@code node}.
   */
  public StatusPublisher(EventBus bus, String component, String nodeId) {
    this.bus = bus;
    this.component = component;
    this.nodeId = nodeId;
  }

  public String component() {
    return component;
  }

  /** A {@code component} event: this component's state changed. */
  public StatusEvent component(ComponentState state, JsonObject data) {
    return component(state.wire(), data);
  }

  /**
   * A {@code component} event with a state named on the wire (for states not in {@link
   * ComponentState}).
   */
  public StatusEvent component(String state, JsonObject data) {
    return publish(StatusEvent.TYPE_COMPONENT, null, state, data);
  }

  /** An {@code entity} event: {@code entity}'s status is now {@code status}. */
  public StatusEvent entity(String entity, EntityStatus status, JsonObject data) {
    return entity(entity, status.name(), data);
  }

  public StatusEvent entity(String entity, String state, JsonObject data) {
    return publish(StatusEvent.TYPE_ENTITY, entity, state, data);
  }

  /** A {@code progress} event of {@code entity} (null: the component as a whole). */
  public StatusEvent progress(String entity, String state, JsonObject data) {
    return publish(StatusEvent.TYPE_PROGRESS, entity, state, data);
  }

  /** An {@code error} event; {@code state} names the kind of error (e.g. {@code scan_failed}). */
  public StatusEvent error(String entity, String state, JsonObject data) {
    return publish(StatusEvent.TYPE_ERROR, entity, state, data);
  }

  private StatusEvent publish(String type, String entity, String state, JsonObject data) {
    JsonObject d = data == null ? new JsonObject() : data.copy();
    if (nodeId != null) {
      d.put("node", nodeId);
    }
    StatusEvent event = StatusEvent.of(type, component, entity, state, d);
    bus.publish(Addresses.STATUS, event);
    return event;
  }
}
