package io.emcachers.core.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;
import java.util.function.Function;

/**
 * Cluster-safe codec for a {@link BusMessage} record: length-prefixed UTF-8 JSON on the wire, the
 * same instance locally (records are immutable).
 */
public final class JsonMessageCodec<T extends BusMessage> implements MessageCodec<T, T> {

  private final Class<T> type;
  private final Function<JsonObject, T> decoder;

  public JsonMessageCodec(Class<T> type, Function<JsonObject, T> decoder) {
    this.type = type;
    this.decoder = decoder;
  }

  public Class<T> type() {
    return type;
  }

  @Override
  public void encodeToWire(Buffer buffer, T message) {
    Buffer json = message.toJson().toBuffer();
    buffer.appendInt(json.length());
    buffer.appendBuffer(json);
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    int start = pos + 4;
    return decoder.apply(new JsonObject(buffer.getBuffer(start, start + length)));
  }

  @Override
  public T transform(T message) {
    return message;
  }

  @Override
  public String name() {
    return "emc." + type.getSimpleName();
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
