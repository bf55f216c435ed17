package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * {@code emc.oplog.read}: up to {@code limit} rows with id &gt; {@code after}, optionally only
 * these entities.
 */
public record OplogReadRequest(long after, int limit, List<String> entities) implements BusMessage {

  public OplogReadRequest {
    entities = entities == null ? null : List.copyOf(entities);
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject()
        .put("after", after)
        .put("limit", limit)
        .put("entities", entities == null ? null : new JsonArray(entities));
  }

  public static OplogReadRequest fromJson(JsonObject json) {
    JsonArray arr = json.getJsonArray("entities");
    return new OplogReadRequest(
        json.getLong("after", 0L),
        json.getInteger("limit", 1000),
        arr == null ? null : arr.stream().map(String::valueOf).toList());
  }
}
