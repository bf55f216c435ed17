package io.emcachers.api.changes;

import io.emcachers.api.BusClient;
import io.emcachers.api.errors.ApiException;
import io.emcachers.core.bus.Addresses;
import io.emcachers.core.messages.OplogAppended;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The API's change feeds: the oplog head {@link Watermark} on {@code emc.oplog.appended} every
 * long-poll and stream waits on, the JSON reads ({@link ChangeReads}), and the open streams (SSE,
 * WebSocket: one {@link ChangePump} each, at most {@code api.changes_max_streams}).
 */
public final class ChangeFeeds {

  private final Vertx vertx;
  private final BusClient bus;
  private final FeedConfig config;
  private final Watermark heads;
  private final ChangeReads reads;
  private final FeedMetrics metrics = new FeedMetrics();
  private final Set<ChangePump> pumps = new LinkedHashSet<>();

  public ChangeFeeds(Vertx vertx, BusClient bus, FeedConfig config) {
    this.vertx = vertx;
    this.bus = bus;
    this.config = config;
    this.heads =
        new Watermark(
            vertx, Addresses.OPLOG_APPENDED, b -> b instanceof OplogAppended a ? a.headId() : -1);
    this.reads = new ChangeReads(vertx, bus, heads);
  }

  public Future<Void> start() {
    return heads.start(false);
  }

  public Future<Void> stop() {
    new java.util.ArrayList<>(pumps).forEach(ChangePump::close);
    return heads.stop();
  }

  public FeedConfig config() {
    return config;
  }

  public ChangeReads reads() {
    return reads;
  }

  /** The head watermark (read-your-writes waits on it too). */
  public Watermark heads() {
    return heads;
  }

  /** 503 when the stream limit is reached. */
  public void checkRoom() {
    if (pumps.size() >= config.maxStreams()) {
      throw new ApiException(
          503,
          "unavailable",
          "too many change feed streams (api.changes_max_streams = " + config.maxStreams() + ")");
    }
  }

  /** Starts an SSE stream of {@code entity} after {@code after} on this request's response. */
  public void sse(RoutingContext ctx, String entity, long after) {
    SseSink sink = new SseSink(ctx);
    sink.open();
    start(new ChangePump(vertx, bus, config, heads, metrics, sink, "sse", entity, after));
  }

  /** Starts a WebSocket stream of {@code entity} after {@code after}. */
  public void webSocket(ServerWebSocket ws, String entity, long after) {
    ws.textMessageHandler(m -> {}); // one-way; what the client sends is ignored
    start(
        new ChangePump(
            vertx, bus, config, heads, metrics, new WebSocketSink(ws), "websocket", entity, after));
  }

  private void start(ChangePump pump) {
    pumps.add(pump);
    pump.onClose(() -> pumps.remove(pump)).start();
  }

  public JsonObject stats() {
    return new JsonObject()
        .put("streams", pumps.size())
        .put("long_poll_waiting", heads.waiting())
        .put("queued_bytes", metrics.queuedBytes())
        .put("peak_queued_bytes", metrics.peakQueuedBytes());
  }
}
