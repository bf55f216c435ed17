package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.emcachers.core.model.Entity;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** Entities ordered by name. */
public record EntityListReply(List<Entity> entities) implements BusMessage {

  public EntityListReply {
    entities = List.copyOf(entities);
  }

  @Override
  public JsonObject toJson() {
    JsonArray arr = new JsonArray();
    entities.forEach(e -> arr.add(e.toJson()));
    return new JsonObject().put("entities", arr);
  }

  public static EntityListReply fromJson(JsonObject json) {
    return new EntityListReply(
        json.getJsonArray("entities", new JsonArray()).stream()
            .map(o -> Entity.fromJson((JsonObject) o))
            .toList());
  }
}
