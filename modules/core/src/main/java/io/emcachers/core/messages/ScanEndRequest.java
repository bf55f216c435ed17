package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/**
 * {@code emc.oplog.scan.end}: the entity's scan is complete. In one transaction its staged rows move
 * behind the scan rows (original order), its scan progress is cleared, and it becomes {@code live}.
 */
public record ScanEndRequest(String entity) implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("entity", entity);
  }

  public static ScanEndRequest fromJson(JsonObject json) {
    return new ScanEndRequest(json.getString("entity"));
  }
}
