package io.emcachers.api.changes;

import io.emcachers.core.model.Oplog;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;

/**
 * Where a {@link ChangePump} writes: an SSE response ({@link SseSink}) or a WebSocket ({@link
 * WebSocketSink}). Writes complete when the connection has taken the bytes, which is what the pump
 * counts as queued.
 */
interface ChangeSink {

  /** One change as this transport frames it. */
  Buffer frame(Oplog row);

  Future<Void> write(Buffer frame);

  /** A keep-alive (SSE comment, WebSocket ping). */
  void heartbeat();

  /** The transport's own signal that its write queue is full. */
  boolean writeQueueFull();

  void drainHandler(Handler<Void> handler);

  /** Called once when the peer went away (or the connection broke). */
  void closeHandler(Handler<Void> handler);

  /** Tells the client the feed ends with an error, then closes. */
  void fail(String code, String message);

  /** Closes at once: the client is too slow (it resumes with its last event id). */
  void disconnect(String why);

  /** Where the client connects from, for the log. */
  String peer();
}
