package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/**
 * Scan progress of an entity: {@code lastId} is {@code {"v": relaxed-JSON _id}} of the last scanned
 * document, or null when its scan has not written anything yet.
 */
public record ScanStateReply(String entity, JsonObject lastId, long scanned) implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("entity", entity).put("last_id", lastId).put("scanned", scanned);
  }

  public static ScanStateReply fromJson(JsonObject json) {
    return new ScanStateReply(
        json.getString("entity"), json.getJsonObject("last_id"), json.getLong("scanned", 0L));
  }
}
