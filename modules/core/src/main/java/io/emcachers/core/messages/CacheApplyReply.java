package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/**
 * The cache's {@code last_oplog_id} after the apply, rows applied and rows skipped as already
 * applied.
 */
public record CacheApplyReply(String entity, long lastOplogId, int applied, int skipped)
    implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject()
        .put("entity", entity)
        .put("last_oplog_id", lastOplogId)
        .put("applied", applied)
        .put("skipped", skipped);
  }

  public static CacheApplyReply fromJson(JsonObject json) {
    return new CacheApplyReply(
        json.getString("entity"),
        json.getLong("last_oplog_id", 0L),
        json.getInteger("applied", 0),
        json.getInteger("skipped", 0));
  }
}
