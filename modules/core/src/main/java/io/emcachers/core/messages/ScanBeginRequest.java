package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/**
 * {@code emc.oplog.scan.begin} → {@code EntityReply}: a new scan attempt of {@code entity}. In one
 * transaction the entity's epoch increases, its status becomes {@code scanning}, its scan progress
 * is forgotten and its scan start (the oplog head, for the proven deletes at scan end) is recorded
 * anew. Staged rows of earlier epochs are never moved into the oplog. The reply carries the new
 * epoch, which every scan batch and the scan end of this attempt must carry.
 */
public record ScanBeginRequest(String entity, String reason) implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("entity", entity).put("reason", reason);
  }

  public static ScanBeginRequest fromJson(JsonObject json) {
    return new ScanBeginRequest(json.getString("entity"), json.getString("reason"));
  }
}
