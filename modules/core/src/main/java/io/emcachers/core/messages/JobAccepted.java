package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/**
 * A long-running request was accepted; progress follows on {@code emc.status} under {@code jobId}.
 */
public record JobAccepted(String jobId, String entity) implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("job_id", jobId).put("entity", entity);
  }

  public static JobAccepted fromJson(JsonObject json) {
    return new JobAccepted(json.getString("job_id"), json.getString("entity"));
  }
}
