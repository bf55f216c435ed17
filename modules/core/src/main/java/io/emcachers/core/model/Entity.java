package io.emcachers.core.model;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * A replicated entity: a name (directory and table name of its cache), its shape, and its lifecycle
 * state. {@code version} increases on every change of shape or status.
 *
 * <p>{@code epoch} is the entity's scan generation: it increases when the entity is (re-)created,
 * when its shape changes and when a new scan attempt begins. Streamed entries and scan writes carry
 * the epoch they were produced under; the oplog side drops streamed entries and refuses scan writes
 * of any other epoch, so nothing projected for an older shape, incarnation or abandoned scan
 * attempt reaches the oplog after the change.
 */
public record Entity(
    String name,
    Shape shape,
    EntityStatus status,
    long version,
    Instant createdAt,
    Instant updatedAt,
    long epoch) {

  /**
   * An entity without a scan generation (epoch 0: tools and tests that write without a listener).
   */
  public Entity(
      String name,
      Shape shape,
      EntityStatus status,
      long version,
      Instant createdAt,
      Instant updatedAt) {
    this(name, shape, status, version, createdAt, updatedAt, 0L);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("name", name)
        .put("shape", shape.toJson())
        .put("status", status.name())
        .put("version", version)
        .put("created_at", createdAt == null ? null : createdAt.toString())
        .put("updated_at", updatedAt == null ? null : updatedAt.toString())
        .put("epoch", epoch);
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
        updated == null ? null : Instant.parse(updated),
        json.getLong("epoch", 0L));
  }

  public Entity withStatus(EntityStatus newStatus) {
    return new Entity(name, shape, newStatus, version, createdAt, updatedAt, epoch);
  }
}
