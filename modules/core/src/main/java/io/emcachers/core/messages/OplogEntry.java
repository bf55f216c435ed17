package io.emcachers.core.messages;

import io.emcachers.core.model.Operation;
import io.vertx.core.json.JsonObject;

/**
 * An oplog entry before PostgreSQL assigns its id: what the listener produces per event and entity.
 * {@code data} is the projected document (null for deletes). {@code epoch} is the entity's scan
 * generation the entry was projected under ({@link io.emcachers.core.model.Entity#epoch()}); a
 * streamed entry of another epoch than the entity's current one is dropped by the oplog side. 0
 * means "no generation check" (tools and tests that write without a listener; the listener always
 * stamps).
 */
public record OplogEntry(
    Operation operation, String entity, String docId, JsonObject data, long epoch) {

  /** An entry without a generation check (epoch 0). */
  public OplogEntry(Operation operation, String entity, String docId, JsonObject data) {
    this(operation, entity, docId, data, 0L);
  }

  public JsonObject toJson() {
    JsonObject json =
        new JsonObject()
            .put("operation", operation.name())
            .put("entity", entity)
            .put("doc_id", docId)
            .put("data", data);
    return epoch == 0 ? json : json.put("epoch", epoch);
  }

  public static OplogEntry fromJson(JsonObject json) {
    return new OplogEntry(
        Operation.parse(json.getString("operation")),
        json.getString("entity"),
        json.getString("doc_id"),
        json.getJsonObject("data"),
        json.getLong("epoch", 0L));
  }
}
