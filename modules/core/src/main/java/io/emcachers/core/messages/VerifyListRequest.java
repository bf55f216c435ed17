package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/** {@code emc.verify.list}: the verification runs a node knows, newest first. */
public record VerifyListRequest() implements BusMessage {

  @Override
  public JsonObject toJson() {
    return new JsonObject();
  }

  public static VerifyListRequest fromJson(JsonObject json) {
    return new VerifyListRequest();
  }
}
