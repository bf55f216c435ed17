package io.emcachers.core.model;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * A replicated entity: a name (directory and table name of its cache), its shape, and its
 * lifecycle state. {@code version} increases on every change of shape or status.
 */
public record Entity(String name, Shape shape, EntityStatus status, long version, Instant createdAt, Instant updatedAt) {

  public JsonObject toJson() {
    return new JsonObject()
        .put("name", name)
        .put("shape", shape.toJson())
        .put("status", status.name())
        .put("version", version)
        .put("created_at", createdAt == null ? null : createdAt.toString())
        .put("updated_at", updatedAt == null ? null : updatedAt.toString());
  }

  public static Entity fromJson(JsonObject json) {
    String created = json.getString("created_at");
    String updated = json.getString("updated_at");
    return new Entity(
        json.getString("name"),
        Shape.fromJson(json.getJsonObject("shape")),
        EntityStatus.parse(json.getString("status", "pending")),
        json.getLong("version", 0L),
        created == null ? null : Instant.parse(created),
        updated == null ? null : Instant.parse(updated));
  }

  public Entity withStatus(EntityStatus newStatus) {
    return new Entity(name, shape, newStatus, version, createdAt, updatedAt);
  }
}
