package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonObject;

/**
 * The stored resume positions (metadata key {@code mongo_resume_token}): a map from stream name (a
 * collection name, or {@code _db} for a database-level stream) to the token JSON. An empty map
 * means no stream ever committed a position: the listener runs the initial scan.
 */
public record ResumeTokenReply(JsonObject tokens) implements BusMessage {

  public ResumeTokenReply {
    tokens = tokens == null ? new JsonObject() : tokens;
  }

  public JsonObject tokenFor(String stream) {
    return tokens.getJsonObject(stream);
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject().put("tokens", tokens);
  }

  public static ResumeTokenReply fromJson(JsonObject json) {
    return new ResumeTokenReply(json.getJsonObject("tokens"));
  }
}
