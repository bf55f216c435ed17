package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/**
 * {@code emc.cache.search} (and the entity's read address): the rows whose search columns match the
 * FTS5 query {@code q}, best bm25 rank first, at most {@code limit}; each row carries {@code _rank}
 * and {@code _snippet}. Answered with {@code CacheRowsReply}; a bad {@code q} fails BAD_REQUEST.
 */
public record CacheSearchRequest(String entity, String q, int limit) implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("entity", entity).put("q", q).put("limit", limit);
  }

  public static CacheSearchRequest fromJson(JsonObject json) {
    return new CacheSearchRequest(
        json.getString("entity"), json.getString("q"), json.getInteger("limit", 20));
  }
}
