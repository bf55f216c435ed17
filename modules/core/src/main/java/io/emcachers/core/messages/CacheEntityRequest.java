package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/**
 * {@code emc.cache.drop} / {@code emc.cache.info} / {@code emc.replicator.recreate}: one entity's
 * cache (null: all, where allowed).
 */
public record CacheEntityRequest(String entity) implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("entity", entity);
  }

  public static CacheEntityRequest fromJson(JsonObject json) {
    return new CacheEntityRequest(json.getString("entity"));
  }
}
