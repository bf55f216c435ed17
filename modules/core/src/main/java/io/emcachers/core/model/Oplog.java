package io.emcachers.core.model;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * One committed oplog row. {@code id} increases in commit order; {@code data} holds the projected
 * columns ({@code column name → value}) for upserts and is null for deletes. {@code synthetic} is
 * true for a repair row ({@code emc.oplog.repair}: written by a verification that found a cache
 * differing from the source, not by the change stream or a scan); it is applied like any other row.
 * {@code clusterTime} is the source cluster time of the change event the row comes from (BSON
 * timestamp as its 64-bit value), null for scan and repair rows and when the source gives none.
 */
public record Oplog(
    long id,
    Operation operation,
    String docId,
    Instant createdAt,
    String entity,
    JsonObject data,
    boolean synthetic,
    Long clusterTime) {

  /** A row without a source cluster time. */
  public Oplog(
      long id,
      Operation operation,
      String docId,
      Instant createdAt,
      String entity,
      JsonObject data,
      boolean synthetic) {
    this(id, operation, docId, createdAt, entity, data, synthetic, null);
  }

  /** A row of the change stream or a scan ({@code synthetic = false}). */
  public Oplog(
      long id,
      Operation operation,
      String docId,
      Instant createdAt,
      String entity,
      JsonObject data) {
    this(id, operation, docId, createdAt, entity, data, false, null);
  }

  /** {@code cluster_time} is present only when known. */
  public JsonObject toJson() {
    JsonObject json =
        new JsonObject()
            .put("id", id)
            .put("operation", operation.name())
            .put("doc_id", docId)
            .put("created_at", createdAt == null ? null : createdAt.toString())
            .put("entity", entity)
            .put("data", data)
            .put("synthetic", synthetic);
    return clusterTime == null ? json : json.put("cluster_time", clusterTime);
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
        json.getBoolean("synthetic", false),
        json.getLong("cluster_time"));
  }
}
