package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/**
 * Reply to {@code emc.oplog.append} and the listener's ack: the batch committed. {@code lastId} is
 * the highest oplog id written by this batch (0 when it wrote only staging rows), {@code headId}
 * the oplog head after the commit, {@code resumeToken} the token now stored for {@code stream}.
 */
public record AppendResult(long lastId, long headId, int appended, int staged, String stream, JsonObject resumeToken)
    implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject()
        .put("last_id", lastId)
        .put("head_id", headId)
        .put("appended", appended)
        .put("staged", staged)
        .put("stream", stream)
        .put("resume_token", resumeToken);
  }

  public static AppendResult fromJson(JsonObject json) {
    return new AppendResult(
        json.getLong("last_id", 0L),
        json.getLong("head_id", 0L),
        json.getInteger("appended", 0),
        json.getInteger("staged", 0),
        json.getString("stream"),
        json.getJsonObject("resume_token"));
  }
}
