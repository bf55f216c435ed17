package io.emcachers.core.model;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * One committed oplog row. {@code id} increases in commit order; {@code data} holds the projected
 * columns ({@code column name → value}) for upserts and is null for deletes. {@code synthetic} is
 * true for a repair row ({@code emc.oplog.repair}: written by a verification that found a cache
 * differing from the source, not by the change stream or a scan); it is applied like any other row.
 */
public record Oplog(
    long id,
    Operation operation,
    String docId,
    Instant createdAt,
    String entity,
    JsonObject data,
    boolean synthetic) {

  /** A row of the change stream or a scan ({@code synthetic = false}). */
  public Oplog(
      long id,
      Operation operation,
      String docId,
      Instant createdAt,
      String entity,
      JsonObject data) {
    this(id, operation, docId, createdAt, entity, data, false);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id)
        .put("operation", operation.name())
        .put("doc_id", docId)
        .put("created_at", createdAt == null ? null : createdAt.toString())
        .put("entity", entity)
        .put("data", data)
        .put("synthetic", synthetic);
  }

  /** Parses {@link #toJson()}; {@code synthetic} is false when absent (older senders). */
  public static Oplog fromJson(JsonObject json) {
    String created = json.getString("created_at");
    return new Oplog(
        json.getLong("id"),
        Operation.parse(json.getString("operation")),
        json.getString("doc_id"),
        created == null ? null : Instant.parse(created),
        json.getString("entity"),
        json.getJsonObject("data"),
        json.getBoolean("synthetic", false));
  }
}
