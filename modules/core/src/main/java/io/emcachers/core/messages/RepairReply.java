package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Reply to {@code emc.oplog.repair}: {@code applied} lists the doc ids written as synthetic rows
 * (in request order), {@code skipped} those left out because a row of the document with an id above
 * the request's {@code head_before} exists, {@code rejected} the entries that cannot be stored
 * ({@code [{"index", "entity", "doc_id", "reason"}]}, as in {@link AppendResult}; retrying them
 * cannot help). {@code lastId} is the highest id written (0 when none), {@code headId} the oplog
 * head after the commit.
 */
public record RepairReply(
    List<String> applied, List<String> skipped, JsonArray rejected, long lastId, long headId)
    implements BusMessage {

  public RepairReply {
    applied = List.copyOf(applied);
    skipped = List.copyOf(skipped);
    rejected = rejected == null ? new JsonArray() : rejected;
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject()
        .put("applied", new JsonArray(applied))
        .put("skipped", new JsonArray(skipped))
        .put("rejected", rejected)
        .put("last_id", lastId)
        .put("head_id", headId);
  }

  public static RepairReply fromJson(JsonObject json) {
    return new RepairReply(
        strings(json.getJsonArray("applied")),
        strings(json.getJsonArray("skipped")),
        json.getJsonArray("rejected", new JsonArray()),
        json.getLong("last_id", 0L),
        json.getLong("head_id", 0L));
  }

  private static List<String> strings(JsonArray arr) {
    return arr == null ? List.of() : arr.stream().map(String::valueOf).toList();
  }
}
