package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.Oplog;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * {@code emc.cache.apply} (node-local): apply these rows of one entity, in id order, and record the
 * last id as the cache's {@code last_oplog_id} in the same SQLite transaction. Rows at or below the
 * cache's {@code last_oplog_id} are skipped. {@code entity} carries the shape the cache must have.
 */
public record CacheApplyRequest(Entity entity, List<Oplog> rows) implements BusMessage {

  public CacheApplyRequest {
    rows = List.copyOf(rows);
  }

  @Override
  public JsonObject toJson() {
    JsonArray arr = new JsonArray();
    rows.forEach(r -> arr.add(r.toJson()));
    return new JsonObject().put("entity", entity.toJson()).put("rows", arr);
  }

  public static CacheApplyRequest fromJson(JsonObject json) {
    return new CacheApplyRequest(
        Entity.fromJson(json.getJsonObject("entity")),
        json.getJsonArray("rows", new JsonArray()).stream()
            .map(o -> Oplog.fromJson((JsonObject) o))
            .toList());
  }
}
