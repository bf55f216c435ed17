package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/**
 * {@code emc.oplog.compact} (leader only): runs a compaction now (joins a run in progress). Reply
 * {@link CompactionReply}. {@code reason} goes to the log.
 */
public record CompactRequest(String reason) implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("reason", reason);
  }

  public static CompactRequest fromJson(JsonObject json) {
    return new CompactRequest(json.getString("reason"));
  }
}
