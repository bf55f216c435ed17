package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/** {@code emc.cache.doc}: one cached row by doc id. */
public record CacheDocRequest(String entity, String docId) implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("entity", entity).put("doc_id", docId);
  }

  public static CacheDocRequest fromJson(JsonObject json) {
    return new CacheDocRequest(json.getString("entity"), json.getString("doc_id"));
  }
}
