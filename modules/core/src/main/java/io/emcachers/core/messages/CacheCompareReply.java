package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The outcome of an {@code emc.cache.verify.compare}: the cache's {@code last_oplog_id} in the read
 * the rows were compared in, how many source rows matched, the doc ids with no cached row ({@code
 * missing}) and those whose cached row differs ({@code different}), in request order.
 */
public record CacheCompareReply(
    long lastOplogId, long matched, List<String> missing, List<String> different)
    implements BusMessage {

  public CacheCompareReply {
    missing = missing == null ? List.of() : List.copyOf(missing);
    different = different == null ? List.of() : List.copyOf(different);
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject()
        .put("last_oplog_id", lastOplogId)
        .put("matched", matched)
        .put("missing", new JsonArray(missing))
        .put("different", new JsonArray(different));
  }

  public static CacheCompareReply fromJson(JsonObject json) {
    return new CacheCompareReply(
        json.getLong("last_oplog_id", 0L),
        json.getLong("matched", 0L),
        strings(json.getJsonArray("missing")),
        strings(json.getJsonArray("different")));
  }

  static List<String> strings(JsonArray arr) {
    return arr == null ? List.of() : arr.stream().map(o -> (String) o).toList();
  }
}
