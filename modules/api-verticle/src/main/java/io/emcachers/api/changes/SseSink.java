package io.emcachers.api.changes;

import io.emcachers.core.model.Oplog;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Server-Sent Events on a chunked response: each change is {@code id: <oplog id>}, {@code event:
 * change}, {@code data: <the change as JSON>}; a failure is {@code event: error} with {@code data:
 * {"code","message"}} before the end.
 */
final class SseSink implements ChangeSink {

  private static final Buffer HEARTBEAT = Buffer.buffer(": keep-alive\n\n");

  private final RoutingContext ctx;
  private final HttpServerResponse response;

  SseSink(RoutingContext ctx) {
    this.ctx = ctx;
    this.response = ctx.response();
  }

  /** Sends the headers; the stream starts. */
  void open() {
    response
        .setStatusCode(200)
        .setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no");
    response.write(Buffer.buffer(": emcachers change feed\nretry: 1000\n\n"));
  }

  @Override
  public Buffer frame(Oplog row) {
    return Buffer.buffer(
        "id: " + row.id() + "\nevent: change\ndata: " + row.toJson().encode() + "\n\n");
  }

  @Override
  public Future<Void> write(Buffer frame) {
    return response.write(frame);
  }

  @Override
  public void heartbeat() {
    if (!response.ended() && !response.closed()) {
      response.write(HEARTBEAT);
    }
  }

  @Override
  public boolean writeQueueFull() {
    return response.writeQueueFull();
  }

  @Override
  public void drainHandler(Handler<Void> handler) {
    response.drainHandler(handler);
  }

  @Override
  public void closeHandler(Handler<Void> handler) {
    response.closeHandler(handler);
    response.exceptionHandler(t -> handler.handle(null));
  }

  @Override
  public void fail(String code, String message) {
    if (response.ended() || response.closed()) {
      return;
    }
    JsonObject error = new JsonObject().put("code", code).put("message", message);
    response.end("event: error\ndata: " + error.encode() + "\n\n");
  }

  @Override
  public void disconnect(String why) {
    ctx.request().connection().close();
  }

  @Override
  public String peer() {
    return String.valueOf(ctx.request().remoteAddress());
  }
}
