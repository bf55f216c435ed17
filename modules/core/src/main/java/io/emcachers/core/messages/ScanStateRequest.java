package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/**
 * {@code emc.oplog.scan.state}: the persisted scan progress of one entity. With {@code epoch > 0}
 * only progress stored by that scan attempt is returned (none otherwise).
 */
public record ScanStateRequest(String entity, long epoch) implements BusMessage {

  public ScanStateRequest(String entity) {
    this(entity, 0L);
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("entity", entity).put("epoch", epoch);
  }

  public static ScanStateRequest fromJson(JsonObject json) {
    return new ScanStateRequest(json.getString("entity"), json.getLong("epoch", 0L));
  }
}
