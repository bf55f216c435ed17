package io.emcachers.core.messages;

import io.emcachers.core.model.Operation;
import io.vertx.core.json.JsonObject;

/**
 * An oplog entry before PostgreSQL assigns its id: what the listener produces per event and entity.
 * {@code data} is the projected document (null for deletes). {@code epoch} is the entity's scan
 * generation the entry was projected under ({@link io.emcachers.core.model.Entity#epoch()}); a
 * streamed entry of another epoch than the entity's current one is dropped by the oplog side. 0
 * means "no generation check" (tools and tests that write without a listener; the listener always
 * stamps). {@code clusterTime} is the source's cluster time of the change event the entry comes
 * from (the event's {@code clusterTime}, a BSON timestamp as its 64-bit value: seconds in the high
 * 32 bits, increment in the low 32), stored in the oplog row's {@code cluster_time}; null for scan
 * rows and when the source gives none.
 */
public record OplogEntry(
    Operation operation,
    String entity,
    String docId,
    JsonObject data,
    long epoch,
    Long clusterTime) {

  /** An entry without a generation check (epoch 0). */
  public OplogEntry(Operation operation, String entity, String docId, JsonObject data) {
    this(operation, entity, docId, data, 0L, null);
  }

  /** An entry without a source cluster time. */
  public OplogEntry(Operation operation, String entity, String docId, JsonObject data, long epoch) {
    this(operation, entity, docId, data, epoch, null);
  }

  public JsonObject toJson() {
    JsonObject json =
        new JsonObject()
            .put("operation", operation.name())
            .put("entity", entity)
            .put("doc_id", docId)
            .put("data", data);
    if (clusterTime != null) {
      json.put("cluster_time", clusterTime);
    }
    return epoch == 0 ? json : json.put("epoch", epoch);
  }

  public static OplogEntry fromJson(JsonObject json) {
    return new OplogEntry(
        Operation.parse(json.getString("operation")),
        json.getString("entity"),
        json.getString("doc_id"),
        json.getJsonObject("data"),
        json.getLong("epoch", 0L),
        json.getLong("cluster_time"));
  }
}
