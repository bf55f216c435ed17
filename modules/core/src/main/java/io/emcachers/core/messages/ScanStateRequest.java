package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/** {@code emc.oplog.scan.state}: the persisted scan progress of one entity. */
public record ScanStateRequest(String entity) implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("entity", entity);
  }

  public static ScanStateRequest fromJson(JsonObject json) {
    return new ScanStateRequest(json.getString("entity"));
  }
}
