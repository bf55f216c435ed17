package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/**
 * {@code emc.cache.verify.digest} (node-local): the per-bucket count and digest of every {@code
 * _doc_id} in this node's cache of {@code entity}, with {@code buckets} buckets (1..65536; see
 * {@link io.emcachers.core.verify.VerifyHash}).
 */
public record CacheDigestRequest(String entity, int buckets) implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("entity", entity).put("buckets", buckets);
  }

  public static CacheDigestRequest fromJson(JsonObject json) {
    return new CacheDigestRequest(json.getString("entity"), json.getInteger("buckets", 0));
  }
}
