package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/** Asks a component for its health/stats ({@code *.health}, {@code emc.replicator.stats}, {@code emc.jobs.list}). */
public record HealthRequest() implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject();
  }

  public static HealthRequest fromJson(JsonObject json) {
    return new HealthRequest();
  }
}
