package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/** {@code emc.oplog.resume-token}: where should the listener resume? */
public record ResumeTokenRequest() implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject();
  }

  public static ResumeTokenRequest fromJson(JsonObject json) {
    return new ResumeTokenRequest();
  }
}
