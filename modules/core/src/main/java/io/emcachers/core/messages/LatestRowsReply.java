package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.emcachers.core.model.Oplog;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Reply to {@code emc.oplog.latest}: at most one row per requested doc id (its highest-id row),
 * ordered by doc id; a doc id without any row of the entity is absent.
 */
public record LatestRowsReply(List<Oplog> rows) implements BusMessage {

  public LatestRowsReply {
    rows = List.copyOf(rows);
  }

  @Override
  public JsonObject toJson() {
    JsonArray arr = new JsonArray();
    rows.forEach(r -> arr.add(r.toJson()));
    return new JsonObject().put("rows", arr);
  }

  public static LatestRowsReply fromJson(JsonObject json) {
    JsonArray arr = json.getJsonArray("rows", new JsonArray());
    return new LatestRowsReply(arr.stream().map(o -> Oplog.fromJson((JsonObject) o)).toList());
  }
}
