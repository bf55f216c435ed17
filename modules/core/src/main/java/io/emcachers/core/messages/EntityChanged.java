package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.emcachers.core.model.Entity;
import io.vertx.core.json.JsonObject;
import java.util.Locale;

/**
 * {@code emc.entities.changed} (publish). {@code change} is one of {@link #CREATED}, {@link
 * #SHAPE_CHANGED}, {@link #STATUS_CHANGED}, {@link #DELETED}, {@link #REFRESHED} (periodic reload;
 * receivers reconcile against it). {@code previous} is the entity before the change when known. On
 * the wire {@code change} is the lower-case string ({@code created}, {@code shape_changed}...), as
 * before the enum.
 */
public record EntityChanged(Change change, Entity entity, Entity previous) implements BusMessage {

  /** What happened to the entity. */
  public enum Change {
    CREATED,
    SHAPE_CHANGED,
    STATUS_CHANGED,
    DELETED,
    REFRESHED;

    /** The name on the wire: {@code created}, {@code shape_changed}, ... */
    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The change named {@code wire}; throws {@link IllegalArgumentException} for an unknown one.
     */
    public static Change fromWire(String wire) {
      if (wire == null) {
        throw new IllegalArgumentException("entity change is required");
      }
      for (Change c : values()) {
        if (c.wire().equals(wire)) {
          return c;
        }
      }
      throw new IllegalArgumentException("unknown entity change '" + wire + "'");
    }

    @Override
    public String toString() {
      return wire();
    }
  }

  // The constants stay reachable as EntityChanged.X, so `EntityChanged.DELETED.equals(ev.change())`
  // keeps working.
  public static final Change CREATED = Change.CREATED;
  public static final Change SHAPE_CHANGED = Change.SHAPE_CHANGED;
  public static final Change STATUS_CHANGED = Change.STATUS_CHANGED;
  public static final Change DELETED = Change.DELETED;
  public static final Change REFRESHED = Change.REFRESHED;

  @Override
  public JsonObject toJson() {
    return new JsonObject()
        .put("change", change == null ? null : change.wire())
        .put("entity", entity.toJson())
        .put("previous", previous == null ? null : previous.toJson());
  }

  public static EntityChanged fromJson(JsonObject json) {
    JsonObject prev = json.getJsonObject("previous");
    return new EntityChanged(
        Change.fromWire(json.getString("change")),
        Entity.fromJson(json.getJsonObject("entity")),
        prev == null ? null : Entity.fromJson(prev));
  }
}
