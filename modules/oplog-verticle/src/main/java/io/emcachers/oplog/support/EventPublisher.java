package io.emcachers.oplog.support;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.messages.EntityChanged;
import io.emcachers.core.messages.OplogAppended;
import io.emcachers.core.messages.StatusEvent;
import io.emcachers.core.model.Entity;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/** Every publish of the oplog verticle: new heads, entity changes, component state. */
public final class EventPublisher {

  public static final String COMPONENT = "oplog";

  private final Vertx vertx;
  private final String nodeId;

  public EventPublisher(Vertx vertx, String nodeId) {
    this.vertx = vertx;
    this.nodeId = nodeId;
  }

  /** {@code emc.oplog.appended}: the oplog's new head after a commit. */
  public void oplogAppended(long headId) {
    vertx.eventBus().publish(Addresses.OPLOG_APPENDED, new OplogAppended(headId));
  }

  /**
   * {@code emc.entities.changed} and an entity {@code StatusEvent} (state = the entity's status,
   * data = change, version, previous status, reason).
   */
  public void entityChanged(String change, Entity entity, Entity previous, String reason) {
    vertx.eventBus().publish(Addresses.ENTITIES_CHANGED, new EntityChanged(change, entity, previous));
    JsonObject data = new JsonObject()
        .put("change", change)
        .put("version", entity.version())
        .put("node", nodeId);
    if (previous != null) {
      data.put("previous_status", previous.status().name()).put("previous_version", previous.version());
    }
    if (reason != null) {
      data.put("reason", reason);
    }
    vertx.eventBus().publish(Addresses.STATUS, StatusEvent.of(StatusEvent.TYPE_ENTITY, COMPONENT, entity.name(), entity.status().name(), data));
  }

  /** A component {@code StatusEvent}: this node's oplog state (leader, standby, disconnected). */
  public void componentState(String state, JsonObject data) {
    JsonObject d = data == null ? new JsonObject() : data.copy();
    d.put("node", nodeId);
    vertx.eventBus().publish(Addresses.STATUS, StatusEvent.of(StatusEvent.TYPE_COMPONENT, COMPONENT, null, state, d));
  }
}
