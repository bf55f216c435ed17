package io.emcachers.core.messages;

import io.emcachers.core.model.Operation;
import io.vertx.core.json.JsonObject;

/**
 * An oplog entry before PostgreSQL assigns its id: what the listener produces per event and entity.
 * {@code data} is the projected document (null for deletes).
 */
public record OplogEntry(Operation operation, String entity, String docId, JsonObject data) {

  public JsonObject toJson() {
    return new JsonObject().put("operation", operation.name()).put("entity", entity).put("doc_id", docId).put("data", data);
  }

  public static OplogEntry fromJson(JsonObject json) {
    return new OplogEntry(Operation.parse(json.getString("operation")), json.getString("entity"), json.getString("doc_id"), json.getJsonObject("data"));
  }
}
