package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/**
 * Asks a component for its health/stats ({@code *.health}, {@code emc.replicator.stats}). Every
 * {@code HealthReply} carries {@code details.node} (the node id) and, where the component schedules
 * jobs, {@code details.jobs} (an array of {@code JobStats} JSON), which the API aggregates.
 */
public record HealthRequest() implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject();
  }

  public static HealthRequest fromJson(JsonObject json) {
    return new HealthRequest();
  }
}
