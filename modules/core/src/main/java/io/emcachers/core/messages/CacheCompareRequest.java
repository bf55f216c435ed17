package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * {@code emc.cache.verify.compare} (node-local): compare these source rows of {@code entity} with
 * the rows of the same {@code _doc_id} in this node's cache. Each row's {@code data} is the source
 * document projected with the entity's shape, as an oplog Upsert would carry it; it matches when
 * the cache stores exactly what applying that Upsert would store. At most 5000 rows.
 */
public record CacheCompareRequest(String entity, List<SourceRow> rows) implements BusMessage {

  /** One source document: its doc id and its projected columns ({@code column name → value}). */
  public record SourceRow(String docId, JsonObject data) {

    public JsonObject toJson() {
      return new JsonObject().put("doc_id", docId).put("data", data);
    }

    public static SourceRow fromJson(JsonObject json) {
      return new SourceRow(json.getString("doc_id"), json.getJsonObject("data"));
    }
  }

  public CacheCompareRequest {
    rows = rows == null ? List.of() : List.copyOf(rows);
  }

  @Override
  public JsonObject toJson() {
    JsonArray arr = new JsonArray();
    rows.forEach(r -> arr.add(r.toJson()));
    return new JsonObject().put("entity", entity).put("rows", arr);
  }

  public static CacheCompareRequest fromJson(JsonObject json) {
    return new CacheCompareRequest(
        json.getString("entity"),
        json.getJsonArray("rows", new JsonArray()).stream()
            .map(o -> SourceRow.fromJson((JsonObject) o))
            .toList());
  }
}
