package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.emcachers.core.model.Oplog;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * {@code emc.cache.verify.repair-local} (node-local): restore in this node's cache of {@code
 * entity} the effect of these oplog rows (as {@code emc.oplog.read} returns them: the latest row of
 * each damaged doc). Rows above the cache's {@code last_oplog_id} are skipped (the normal apply
 * brings them), and so is a row whose cached row was written by a later oplog row; {@code
 * last_oplog_id} is never changed.
 */
public record CacheLocalRepairRequest(String entity, List<Oplog> rows) implements BusMessage {

  public CacheLocalRepairRequest {
    rows = rows == null ? List.of() : List.copyOf(rows);
  }

  @Override
  public JsonObject toJson() {
    JsonArray arr = new JsonArray();
    rows.forEach(r -> arr.add(r.toJson()));
    return new JsonObject().put("entity", entity).put("rows", arr);
  }

  public static CacheLocalRepairRequest fromJson(JsonObject json) {
    return new CacheLocalRepairRequest(
        json.getString("entity"),
        json.getJsonArray("rows", new JsonArray()).stream()
            .map(o -> Oplog.fromJson((JsonObject) o))
            .toList());
  }
}
