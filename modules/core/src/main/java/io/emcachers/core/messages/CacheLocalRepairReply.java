package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/**
 * The outcome of an {@code emc.cache.verify.repair-local}: rows whose effect was written again
 * ({@code repaired}) and rows left alone ({@code skipped}: not applied on this node yet, or the
 * cached row is newer).
 */
public record CacheLocalRepairReply(long repaired, long skipped) implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("repaired", repaired).put("skipped", skipped);
  }

  public static CacheLocalRepairReply fromJson(JsonObject json) {
    return new CacheLocalRepairReply(json.getLong("repaired", 0L), json.getLong("skipped", 0L));
  }
}
