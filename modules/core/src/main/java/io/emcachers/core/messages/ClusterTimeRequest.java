package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/**
 * {@code emc.oplog.cluster-time}: where the committed source position of {@code entity}'s change
 * stream is, for read-your-writes.
 */
public record ClusterTimeRequest(String entity) implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("entity", entity);
  }

  public static ClusterTimeRequest fromJson(JsonObject json) {
    return new ClusterTimeRequest(json.getString("entity"));
  }
}
