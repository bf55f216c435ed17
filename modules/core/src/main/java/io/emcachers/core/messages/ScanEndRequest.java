package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/**
 * {@code emc.oplog.scan.end}: the entity's scan is complete. In one transaction its staged rows
 * move behind the scan rows (original order), its scan progress is cleared, and it becomes {@code
 * live}. {@code epoch} is the scan attempt's generation: the end fails STALE unless the entity is
 * scanning at that epoch (or already live at it: a repeated end). 0: no generation check.
 */
public record ScanEndRequest(String entity, long epoch) implements BusMessage {

  public ScanEndRequest(String entity) {
    this(entity, 0L);
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("entity", entity).put("epoch", epoch);
  }

  public static ScanEndRequest fromJson(JsonObject json) {
    return new ScanEndRequest(json.getString("entity"), json.getLong("epoch", 0L));
  }
}
