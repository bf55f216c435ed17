package io.emcachers.core.model;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * One committed oplog row. {@code id} increases in commit order; {@code data} holds the projected
 * columns ({@code column name → value}) for upserts and is null for deletes.
 */
public record Oplog(
    long id, Operation operation, String docId, Instant createdAt, String entity, JsonObject data) {

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id)
        .put("operation", operation.name())
        .put("doc_id", docId)
        .put("created_at", createdAt == null ? null : createdAt.toString())
        .put("entity", entity)
        .put("data", data);
  }

  public static Oplog fromJson(JsonObject json) {
    String created = json.getString("created_at");
    return new Oplog(
        json.getLong("id"),
        Operation.parse(json.getString("operation")),
        json.getString("doc_id"),
        created == null ? null : Instant.parse(created),
        json.getString("entity"),
        json.getJsonObject("data"));
  }
}
