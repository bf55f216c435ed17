package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Reply to {@code emc.oplog.append} and the listener's ack: the batch committed. {@code lastId} is
 * the highest oplog id written by this batch (0 when it wrote only staging rows), {@code headId}
 * the oplog head after the commit, {@code resumeToken} the token now stored for {@code stream}.
 * {@code rejected} lists the entries that could not be stored and were skipped while the rest of
 * the batch (and its position) committed: {@code [{"entity", "doc_id", "reason"}]}; {@code stale}
 * counts streamed entries dropped because they were projected under an older epoch of their entity.
 */
public record AppendResult(
    long lastId,
    long headId,
    int appended,
    int staged,
    String stream,
    JsonObject resumeToken,
    JsonArray rejected,
    int stale)
    implements BusMessage {

  public AppendResult {
    rejected = rejected == null ? new JsonArray() : rejected;
  }

  public AppendResult(
      long lastId, long headId, int appended, int staged, String stream, JsonObject resumeToken) {
    this(lastId, headId, appended, staged, stream, resumeToken, new JsonArray(), 0);
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject()
        .put("last_id", lastId)
        .put("head_id", headId)
        .put("appended", appended)
        .put("staged", staged)
        .put("stream", stream)
        .put("resume_token", resumeToken)
        .put("rejected", rejected)
        .put("stale", stale);
  }

  public static AppendResult fromJson(JsonObject json) {
    return new AppendResult(
        json.getLong("last_id", 0L),
        json.getLong("head_id", 0L),
        json.getInteger("appended", 0),
        json.getInteger("staged", 0),
        json.getString("stream"),
        json.getJsonObject("resume_token"),
        json.getJsonArray("rejected", new JsonArray()),
        json.getInteger("stale", 0));
  }
}
