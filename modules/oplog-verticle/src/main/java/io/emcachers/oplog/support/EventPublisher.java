package io.emcachers.oplog.support;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.messages.EntityChanged;
import io.emcachers.core.messages.OplogAppended;
import io.emcachers.core.model.Entity;
import io.emcachers.core.status.ComponentState;
import io.emcachers.core.status.StatusPublisher;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/** Every publish of the oplog verticle: new heads, entity changes, component state. */
public final class EventPublisher {

  public static final String COMPONENT = "oplog";

  private final Vertx vertx;
  private final String nodeId;
  private final StatusPublisher status;

  public EventPublisher(Vertx vertx, String nodeId) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.status = new StatusPublisher(vertx.eventBus(), COMPONENT, nodeId);
  }

  /** {@code emc.oplog.appended}: the oplog's new head after a commit. */
  public void oplogAppended(long headId) {
    vertx.eventBus().publish(Addresses.OPLOG_APPENDED, new OplogAppended(headId));
  }

  /**
   * {@code emc.entities.changed} and an entity {@code StatusEvent} (state = the entity's status,
   * data = change, version, previous status, reason).
   */
  public void entityChanged(
      EntityChanged.Change change, Entity entity, Entity previous, String reason) {
    vertx
        .eventBus()
        .publish(Addresses.ENTITIES_CHANGED, new EntityChanged(change, entity, previous));
    JsonObject data =
        new JsonObject()
            .put("change", change.wire())
            .put("version", entity.version())
            .put("node", nodeId);
    if (previous != null) {
      data.put("previous_status", previous.status().name())
          .put("previous_version", previous.version());
    }
    if (reason != null) {
      data.put("reason", reason);
    }
    status.entity(entity.name(), entity.status(), data);
  }

  /** A component {@code StatusEvent}: this node's oplog state (leader, standby, disconnected). */
  public void componentState(ComponentState state, JsonObject data) {
    status.component(state, data);
  }
}
