package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Rows read from a cache; {@code next} is the key to page after (null at the end); {@code
 * truncated} when a row limit cut the result.
 */
public record CacheRowsReply(List<JsonObject> rows, String next, boolean truncated)
    implements BusMessage {

  public CacheRowsReply {
    rows = List.copyOf(rows);
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject()
        .put("rows", new JsonArray(List.copyOf(rows)))
        .put("next", next)
        .put("truncated", truncated);
  }

  public static CacheRowsReply fromJson(JsonObject json) {
    return new CacheRowsReply(
        json.getJsonArray("rows", new JsonArray()).stream().map(o -> (JsonObject) o).toList(),
        json.getString("next"),
        json.getBoolean("truncated", false));
  }
}
