package io.emcachers.core.bus;

import io.vertx.core.json.JsonObject;

/**
 * An immutable event-bus message. Each implementation is a record with a {@code toJson()} and a
 * static {@code fromJson(JsonObject)}, registered in {@link Codecs} with a {@link
 * JsonMessageCodec}.
 */
public interface BusMessage {
  JsonObject toJson();
}
