package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * {@code emc.cache.verify.ids} (node-local): the doc ids of this node's cache of {@code entity}, in
 * {@code _doc_id} order after {@code afterDocId} (from the start when null), whose bucket among
 * {@code buckets} ({@link io.emcachers.core.verify.VerifyHash#bucket}) is one of {@code bucketIds};
 * at most {@code limit} (1..5000).
 */
public record CacheIdsRequest(
    String entity, int buckets, List<Integer> bucketIds, String afterDocId, int limit)
    implements BusMessage {

  public CacheIdsRequest {
    bucketIds = bucketIds == null ? List.of() : List.copyOf(bucketIds);
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject()
        .put("entity", entity)
        .put("buckets", buckets)
        .put("bucket_ids", new JsonArray(bucketIds))
        .put("after_doc_id", afterDocId)
        .put("limit", limit);
  }

  public static CacheIdsRequest fromJson(JsonObject json) {
    JsonArray ids = json.getJsonArray("bucket_ids");
    return new CacheIdsRequest(
        json.getString("entity"),
        json.getInteger("buckets", 0),
        ids == null ? List.of() : ids.stream().map(o -> ((Number) o).intValue()).toList(),
        json.getString("after_doc_id"),
        json.getInteger("limit", 0));
  }
}
