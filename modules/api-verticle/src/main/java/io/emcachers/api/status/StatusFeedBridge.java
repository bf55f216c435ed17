package io.emcachers.api.status;

import io.emcachers.api.errors.ApiException;
import io.emcachers.api.errors.ErrorResponses;
import io.emcachers.api.routes.Http;
import io.emcachers.api.routes.RouteFactory;
import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.BusMessage;
import io.emcachers.core.messages.EntityChanged;
import io.emcachers.core.messages.StatusEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.Transport;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code emc.status} feed for HTTP clients. One consumer of the feed fans every event out to
 * the WebSocket clients of {@code /ws/status} (optionally filtered by {@code ?entity=}), and keeps
 * the latest {@code progress} event per node and entity so {@code /api/replication/stats} can show
 * nodes the API cannot ask directly. The SockJS bridge at {@code /eventbus} lets browsers subscribe
 * to {@code emc.status} and nothing else; nothing is permitted inbound. WebSocket handshakes and
 * SockJS sends are checked first ({@link UpgradeChecks}) so a client's mistake is a 4xx with the
 * error shape, never a bare status or a SockJS 500.
 *
 * <p>The feed is lossy by design: a client whose write queue is full misses events rather than
 * holding memory.
 */
public final class StatusFeedBridge {

  private static final Logger LOG = LoggerFactory.getLogger(StatusFeedBridge.class);

  public static final int MAX_SOCKETS = 1000;

  /** Progress entries not refreshed for this long are dropped (a node that left). */
  public static final Duration PROGRESS_TTL = Duration.ofMinutes(10);

  /**
   * SockJS's WebSocket transports: {@code /eventbus/websocket} (raw) and {@code
   * /eventbus/{server}/{session}/websocket}.
   */
  static final Pattern SOCKJS_WEBSOCKET =
      Pattern.compile("^/eventbus/(?:[^/.]+/[^/.]+/)?websocket/?$");

  /** SockJS's XHR send: {@code /eventbus/{server}/{session}/xhr_send}. */
  static final Pattern SOCKJS_SEND = Pattern.compile("^/eventbus/[^/.]+/[^/.]+/xhr_send/?$");

  /** Key of a node's own progress totals (events with no entity) in {@link #latestProgress()}. */
  public static final String NODE_KEY = "";

  private final Vertx vertx;
  private final Map<ServerWebSocket, String> sockets = new ConcurrentHashMap<>();

  /** node → entity → latest progress event. */
  private final Map<String, Map<String, StatusEvent>> progress = new ConcurrentHashMap<>();

  private final AtomicLong received = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private MessageConsumer<Object> consumer;
  private MessageConsumer<Object> entityConsumer;
  private long evictTimer = -1;

  public StatusFeedBridge(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Subscribes to the feed; completes when the subscription is registered. */
  public Future<Void> start() {
    consumer = vertx.eventBus().consumer(Addresses.STATUS, this::onEvent);
    entityConsumer =
        vertx
            .eventBus()
            .consumer(
                Addresses.ENTITIES_CHANGED,
                m -> {
                  if (m.body() instanceof EntityChanged ec
                      && EntityChanged.DELETED.equals(ec.change())
                      && ec.entity() != null) {
                    forget(ec.entity().name());
                  }
                });
    evictTimer = vertx.setPeriodic(60_000, t -> evictStale());
    return Future.all(consumer.completion(), entityConsumer.completion()).mapEmpty();
  }

  public Future<Void> stop() {
    if (evictTimer >= 0) {
      vertx.cancelTimer(evictTimer);
    }
    sockets.keySet().forEach(ws -> ws.close((short) 1001, "server stopping"));
    sockets.clear();
    return Future.all(
            consumer == null ? Future.succeededFuture() : consumer.unregister(),
            entityConsumer == null ? Future.succeededFuture() : entityConsumer.unregister())
        .mapEmpty();
  }

  public void mount(RouteFactory routes) {
    routes.stream(HttpMethod.GET, "/ws/status", RouteFactory.Access.READ, false)
        .handler(this::upgrade);

    SockJSBridgeOptions options =
        new SockJSBridgeOptions()
            .addOutboundPermitted(new PermittedOptions().setAddress(Addresses.STATUS));
    // JSONP and htmlfile are transports for browsers without cross-origin XHR (IE 9 and older);
    // SockJS
    // answers their malformed requests with 500s, and nothing here needs them.
    SockJSHandlerOptions sockJs =
        new SockJSHandlerOptions()
            .addDisabledTransport(Transport.JSON_P.name())
            .addDisabledTransport(Transport.HTML_FILE.name());
    // The body handler (bounded by api.body_limit_bytes) lets xhr_send read its payload; without it
    // SockJS fails every send with a 500.
    routes.stream(null, "/eventbus/*", RouteFactory.Access.READ, true)
        .handler(StatusFeedBridge::screenSockJs)
        .subRouter(
            SockJSHandler.create(vertx, sockJs)
                .bridge(
                    options,
                    event -> {
                      if (event.type() == BridgeEventType.SEND
                          || event.type() == BridgeEventType.PUBLISH) {
                        event.complete(false); // nothing inbound, ever
                        return;
                      }
                      if (event.type() == BridgeEventType.RECEIVE) {
                        JsonObject raw = event.getRawMessage();
                        Object body = raw.getValue("body");
                        if (body instanceof BusMessage m) {
                          raw.put("body", m.toJson()); // records travel as JSON to browsers
                        }
                      }
                      event.complete(true);
                    }));
  }

  /**
   * Client mistakes SockJS would answer with a bare status or a 500 get a 4xx with the error shape
   * here: a WebSocket transport request that is no WebSocket handshake, and a send whose payload is
   * not a JSON array of strings.
   */
  static void screenSockJs(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    if (SOCKJS_WEBSOCKET.matcher(path).matches()) {
      ApiException bad = UpgradeChecks.webSocketProblem(ctx.request());
      if (bad != null) {
        refuseUpgrade(ctx, bad);
        return;
      }
    } else if (ctx.request().method() == HttpMethod.POST && SOCKJS_SEND.matcher(path).matches()) {
      String bad = UpgradeChecks.sockJsPayloadProblem(ctx.body());
      if (bad != null) {
        ErrorResponses.send(ctx, ApiException.badRequest(bad));
        return;
      }
    }
    ctx.next();
  }

  private static void refuseUpgrade(RoutingContext ctx, ApiException bad) {
    if (bad.status() == 426) {
      ctx.response().putHeader("Sec-WebSocket-Version", UpgradeChecks.WEBSOCKET_VERSION);
    } else if (bad.status() == 405) {
      ctx.response().putHeader("Allow", "GET");
    }
    ErrorResponses.send(ctx, bad);
  }

  private void upgrade(RoutingContext ctx) {
    String filter = ctx.request().getParam("entity");
    try {
      if (filter != null) {
        Http.entityName("entity", filter);
      }
    } catch (ApiException e) {
      ErrorResponses.send(ctx, e);
      return;
    }
    ApiException notAHandshake = UpgradeChecks.webSocketProblem(ctx.request());
    if (notAHandshake != null) {
      // Vert.x would answer these with a bare status
      refuseUpgrade(ctx, notAHandshake);
      return;
    }
    if (sockets.size() >= MAX_SOCKETS) {
      ErrorResponses.send(
          ctx, new ApiException(503, "unavailable", "too many status feed clients"));
      return;
    }
    ctx.request()
        .toWebSocket()
        .onSuccess(
            ws -> {
              sockets.put(ws, filter == null ? "" : filter);
              ws.closeHandler(v -> sockets.remove(ws));
              ws.exceptionHandler(t -> sockets.remove(ws));
              ws.textMessageHandler(msg -> {}); // the feed is one-way; client messages are ignored
              LOG.debug(
                  "status feed client connected from {} (entity filter: {})",
                  ws.remoteAddress(),
                  filter);
            })
        .onFailure(
            t -> {
              if (!ctx.response().ended()) {
                ErrorResponses.send(
                    ctx,
                    ApiException.badRequest("a WebSocket upgrade is required: " + t.getMessage()));
              }
            });
  }

  private void onEvent(Message<Object> message) {
    Object body = message.body();
    StatusEvent event;
    if (body instanceof StatusEvent se) {
      event = se;
    } else if (body instanceof JsonObject json) {
      try {
        event = StatusEvent.fromJson(json);
      } catch (RuntimeException e) {
        return;
      }
    } else {
      return;
    }
    received.incrementAndGet();
    if (StatusEvent.TYPE_PROGRESS.equals(event.type()) && "replicator".equals(event.component())) {
      // replication progress only (the listener's scan progress is not a node's replication state);
      // entity null: the node's own totals, kept under NODE_KEY
      progress
          .computeIfAbsent(nodeOf(event), n -> new ConcurrentHashMap<>())
          .put(event.entity() == null ? NODE_KEY : event.entity(), event);
    }
    if (sockets.isEmpty()) {
      return;
    }
    String text = event.toJson().encode();
    sockets.forEach(
        (ws, filter) -> {
          if (!filter.isEmpty() && !filter.equals(event.entity())) {
            return;
          }
          if (ws.writeQueueFull()) {
            dropped.incrementAndGet();
            return;
          }
          ws.writeTextMessage(text);
        });
  }

  /** The node that emitted a progress event: {@code data.node}, else {@code "unknown"}. */
  public static String nodeOf(StatusEvent event) {
    Object node = event.data() == null ? null : event.data().getValue("node");
    return node == null ? "unknown" : String.valueOf(node);
  }

  private void evictStale() {
    Instant cutoff = Instant.now().minus(PROGRESS_TTL);
    progress
        .values()
        .forEach(m -> m.values().removeIf(e -> e.ts() != null && e.ts().isBefore(cutoff)));
    progress.values().removeIf(Map::isEmpty);
  }

  /** node → entity (or {@link #NODE_KEY} for the node's totals) → latest progress event, sorted. */
  public Map<String, Map<String, StatusEvent>> latestProgress() {
    Map<String, Map<String, StatusEvent>> copy = new TreeMap<>();
    progress.forEach((node, m) -> copy.put(node, new TreeMap<>(m)));
    return copy;
  }

  /** Forgets an entity's progress on every node (after it was deleted). */
  public void forget(String entity) {
    progress.values().forEach(m -> m.remove(entity));
  }

  public int clients() {
    return sockets.size();
  }

  public JsonObject stats() {
    List<String> nodes = new ArrayList<>(progress.keySet());
    return new JsonObject()
        .put("websocket_clients", sockets.size())
        .put("events_received", received.get())
        .put("events_dropped", dropped.get())
        .put("progress_nodes", nodes.size());
  }
}
