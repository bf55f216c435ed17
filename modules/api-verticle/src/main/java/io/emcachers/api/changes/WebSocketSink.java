package io.emcachers.api.changes;

import io.emcachers.core.model.Oplog;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;

/**
 * The WebSocket feed: one text message per change (the change as JSON, with its oplog {@code id});
 * a failure is a text message {@code {"error": {"code","message"}}} then a close (status 4410 for
 * {@code compacted}, 1011 otherwise); a slow client is closed with 1008.
 */
final class WebSocketSink implements ChangeSink {

  /** Close status for "the history you ask for is compacted" (4000-4999: the application's). */
  static final short CLOSE_COMPACTED = 4410;

  private final ServerWebSocket ws;

  WebSocketSink(ServerWebSocket ws) {
    this.ws = ws;
  }

  @Override
  public Buffer frame(Oplog row) {
    return Buffer.buffer(row.toJson().encode());
  }

  @Override
  public Future<Void> write(Buffer frame) {
    return ws.writeTextMessage(frame.toString());
  }

  @Override
  public void heartbeat() {
    if (!ws.isClosed()) {
      ws.writePing(Buffer.buffer());
    }
  }

  @Override
  public boolean writeQueueFull() {
    return ws.writeQueueFull();
  }

  @Override
  public void drainHandler(Handler<Void> handler) {
    ws.drainHandler(handler);
  }

  @Override
  public void closeHandler(Handler<Void> handler) {
    ws.closeHandler(handler);
    ws.exceptionHandler(t -> handler.handle(null));
  }

  @Override
  public void fail(String code, String message) {
    if (ws.isClosed()) {
      return;
    }
    JsonObject error =
        new JsonObject().put("error", new JsonObject().put("code", code).put("message", message));
    ws.writeTextMessage(error.encode());
    ws.close("compacted".equals(code) ? CLOSE_COMPACTED : (short) 1011, code);
  }

  @Override
  public void disconnect(String why) {
    ws.close((short) 1008, why);
  }

  @Override
  public String peer() {
    return String.valueOf(ws.remoteAddress());
  }
}
