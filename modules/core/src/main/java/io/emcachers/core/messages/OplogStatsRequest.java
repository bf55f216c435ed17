package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/** {@code emc.oplog.stats}: size, horizons, last compaction and replicas of the oplog. */
public record OplogStatsRequest() implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject();
  }

  public static OplogStatsRequest fromJson(JsonObject json) {
    return new OplogStatsRequest();
  }
}
