package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * {@code emc.cache.query}: one read-only SELECT with bound params, a row limit and a time limit.
 */
public record CacheQueryRequest(
    String entity, String sql, JsonArray params, int maxRows, long timeoutMs)
    implements BusMessage {

  public CacheQueryRequest {
    params = params == null ? new JsonArray() : params;
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject()
        .put("entity", entity)
        .put("sql", sql)
        .put("params", params)
        .put("max_rows", maxRows)
        .put("timeout_ms", timeoutMs);
  }

  public static CacheQueryRequest fromJson(JsonObject json) {
    return new CacheQueryRequest(
        json.getString("entity"),
        json.getString("sql"),
        json.getJsonArray("params"),
        json.getInteger("max_rows", 1000),
        json.getLong("timeout_ms", 5000L));
  }
}
