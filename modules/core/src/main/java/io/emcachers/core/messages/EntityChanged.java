package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.emcachers.core.model.Entity;
import io.vertx.core.json.JsonObject;

/**
 * {@code emc.entities.changed} (publish). {@code change} is one of {@link #CREATED},
 * {@link #SHAPE_CHANGED}, {@link #STATUS_CHANGED}, {@link #DELETED}, {@link #REFRESHED}
 * (periodic reload; receivers reconcile against it). {@code previous} is the entity before the
 * change when known.
 */
public record EntityChanged(String change, Entity entity, Entity previous) implements BusMessage {

  public static final String CREATED = "created";
  public static final String SHAPE_CHANGED = "shape_changed";
  public static final String STATUS_CHANGED = "status_changed";
  public static final String DELETED = "deleted";
  public static final String REFRESHED = "refreshed";

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("change", change).put("entity", entity.toJson()).put("previous", previous == null ? null : previous.toJson());
  }

  public static EntityChanged fromJson(JsonObject json) {
    JsonObject prev = json.getJsonObject("previous");
    return new EntityChanged(json.getString("change"), Entity.fromJson(json.getJsonObject("entity")), prev == null ? null : Entity.fromJson(prev));
  }
}
