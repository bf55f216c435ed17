package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.emcachers.core.model.Oplog;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Rows in id order, the oplog head id at read time, and {@code nextAfter}: the id to ask after next
 * (the last row's id, or the request's {@code after} when no row came back).
 */
public record OplogReadReply(List<Oplog> rows, long headId, long nextAfter) implements BusMessage {

  public OplogReadReply {
    rows = List.copyOf(rows);
  }

  @Override
  public JsonObject toJson() {
    JsonArray arr = new JsonArray();
    rows.forEach(r -> arr.add(r.toJson()));
    return new JsonObject().put("rows", arr).put("head_id", headId).put("next_after", nextAfter);
  }

  public static OplogReadReply fromJson(JsonObject json) {
    JsonArray arr = json.getJsonArray("rows", new JsonArray());
    return new OplogReadReply(
        arr.stream().map(o -> Oplog.fromJson((JsonObject) o)).toList(),
        json.getLong("head_id", 0L),
        json.getLong("next_after", 0L));
  }
}
