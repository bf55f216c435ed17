package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * A page of {@code emc.cache.verify.ids}: the matching doc ids in {@code _doc_id} order, and where
 * the next page starts ({@code nextAfter}, the {@code afterDocId} of the next request), null when
 * the scan reached the end. A page may hold fewer than {@code limit} ids (even none) and still have
 * a {@code nextAfter}: page on until it is null.
 */
public record CacheIdsReply(List<String> docIds, String nextAfter) implements BusMessage {

  public CacheIdsReply {
    docIds = docIds == null ? List.of() : List.copyOf(docIds);
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("doc_ids", new JsonArray(docIds)).put("next_after", nextAfter);
  }

  public static CacheIdsReply fromJson(JsonObject json) {
    return new CacheIdsReply(
        CacheCompareReply.strings(json.getJsonArray("doc_ids")), json.getString("next_after"));
  }
}
