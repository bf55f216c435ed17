package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/**
 * Cache state: {@code info} holds per-entity {@code last_oplog_id}, rows, path, open connection,
 * shape hash.
 */
public record CacheInfoReply(JsonObject info) implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("info", info);
  }

  public static CacheInfoReply fromJson(JsonObject json) {
    return new CacheInfoReply(json.getJsonObject("info", new JsonObject()));
  }
}
