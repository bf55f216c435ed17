package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/**
 * {@code emc.cache.page}: up to {@code limit} rows with {@code _doc_id > after} (null: from the
 * start).
 */
public record CachePageRequest(String entity, String after, int limit) implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("entity", entity).put("after", after).put("limit", limit);
  }

  public static CachePageRequest fromJson(JsonObject json) {
    return new CachePageRequest(
        json.getString("entity"), json.getString("after"), json.getInteger("limit", 100));
  }
}
