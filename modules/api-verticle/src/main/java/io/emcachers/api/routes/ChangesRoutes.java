package io.emcachers.api.routes;

import static io.emcachers.api.routes.RouteFactory.Access.READ;

import io.emcachers.api.BusClient;
import io.emcachers.api.changes.ChangeFeeds;
import io.emcachers.api.changes.ChangeReads;
import io.emcachers.api.errors.ApiException;
import io.emcachers.api.errors.ErrorResponses;
import io.emcachers.api.status.UpgradeChecks;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * The per-entity change feed (issue 14): {@code GET /api/changes/{entity}?after=ID&limit=N} returns
 * the entity's oplog changes after an id in id order with {@code next_after}; {@code &live=true}
 * long-polls until one arrives or {@code timeout_ms} passes; {@code Accept: text/event-stream}
 * streams them as Server-Sent Events (event id = oplog id, so {@code Last-Event-ID} resumes);
 * {@code /ws/changes?entity=E&after=ID} streams them over a WebSocket. Same key rule as reads.
 * History that compaction removed answers 410 {@code compacted} (SSE: an {@code error} event;
 * WebSocket: an error message and close status 4410).
 */
public final class ChangesRoutes {

  private final BusClient bus;
  private final ChangeFeeds feeds;

  public ChangesRoutes(BusClient bus, ChangeFeeds feeds) {
    this.bus = bus;
    this.feeds = feeds;
  }

  public void mount(RouteFactory routes) {
    // stream(): a long-poll or an event stream answers later than api.request_timeout_ms
    routes.stream(HttpMethod.GET, "/api/changes/:entity", READ, false).handler(this::changes);
    routes.stream(HttpMethod.GET, "/ws/changes", READ, false).handler(this::webSocket);
  }

  private void changes(RoutingContext ctx) {
    String entity;
    long after;
    boolean sse;
    try {
      entity = Http.entityName("entity", ctx.pathParam("entity"));
      after = Http.longParam(ctx, "after", 0, 0, Long.MAX_VALUE);
      sse = wantsEventStream(ctx);
      if (sse) {
        after = lastEventId(ctx, after);
      }
    } catch (ApiException e) {
      ErrorResponses.send(ctx, e);
      return;
    }
    if (sse) {
      startSse(ctx, entity, after);
    } else {
      longPoll(ctx, entity, after);
    }
  }

  private void longPoll(RoutingContext ctx, String entity, long after) {
    int limit;
    boolean live;
    long timeout;
    try {
      limit =
          (int) Http.longParam(ctx, "limit", OplogRoutes.DEFAULT_LIMIT, 1, OplogRoutes.MAX_LIMIT);
      live = Http.boolParam(ctx, "live", false);
      timeout =
          Http.longParam(
              ctx, "timeout_ms", feeds.config().pollTimeoutMs(), 1, feeds.config().maxWaitMs());
    } catch (ApiException e) {
      ErrorResponses.send(ctx, e);
      return;
    }
    known(entity)
        .onFailure(t -> Http.fail(ctx, t))
        .onSuccess(
            v -> {
              ChangeReads.Poll poll = feeds.reads().read(entity, after, limit, live, timeout);
              ctx.response().closeHandler(x -> poll.cancel());
              poll.result()
                  .onSuccess(body -> Http.json(ctx, 200, body))
                  .onFailure(t -> Http.fail(ctx, t));
            });
  }

  private void startSse(RoutingContext ctx, String entity, long after) {
    try {
      feeds.checkRoom();
    } catch (ApiException e) {
      ErrorResponses.send(ctx, e);
      return;
    }
    // a first read answers unknown entities and compacted history as plain HTTP errors
    known(entity)
        .compose(v -> firstRead(entity, after))
        .onFailure(t -> Http.fail(ctx, t))
        .onSuccess(
            v -> {
              if (!ctx.response().ended() && !ctx.response().closed()) {
                feeds.sse(ctx, entity, after);
              }
            });
  }

  private void webSocket(RoutingContext ctx) {
    String entity;
    long after;
    try {
      String e = ctx.request().getParam("entity");
      if (e == null || e.isEmpty()) {
        throw ApiException.invalidField("entity", "is required: the entity to follow");
      }
      entity = Http.entityName("entity", e);
      after = Http.longParam(ctx, "after", 0, 0, Long.MAX_VALUE);
      ApiException notAHandshake = UpgradeChecks.webSocketProblem(ctx.request());
      if (notAHandshake != null) {
        if (notAHandshake.status() == 426) {
          ctx.response().putHeader("Sec-WebSocket-Version", UpgradeChecks.WEBSOCKET_VERSION);
        }
        throw notAHandshake;
      }
      feeds.checkRoom();
    } catch (ApiException e) {
      ErrorResponses.send(ctx, e);
      return;
    }
    ctx.request()
        .toWebSocket()
        .onFailure(
            t -> {
              if (!ctx.response().ended()) {
                ErrorResponses.send(
                    ctx,
                    ApiException.badRequest("a WebSocket upgrade is required: " + t.getMessage()));
              }
            })
        .onSuccess(ws -> openWebSocket(ws, entity, after));
  }

  private void openWebSocket(ServerWebSocket ws, String entity, long after) {
    ws.pause();
    known(entity)
        .compose(v -> firstRead(entity, after))
        .onComplete(
            ar -> {
              ws.resume();
              if (ws.isClosed()) {
                return;
              }
              if (ar.failed()) {
                ApiException e = ErrorResponses.from(ar.cause(), null);
                ws.writeTextMessage(
                    new JsonObject()
                        .put(
                            "error",
                            new JsonObject().put("code", e.code()).put("message", e.getMessage()))
                        .encode());
                ws.close((short) (4000 + e.status()), e.code());
                return;
              }
              feeds.webSocket(ws, entity, after);
            });
  }

  private Future<Void> known(String entity) {
    return bus.entities().get(entity).mapEmpty();
  }

  private Future<Void> firstRead(String entity, long after) {
    return bus.oplog()
        .read(after, 1, List.of(entity))
        .recover(
            t ->
                Future.failedFuture(
                    t instanceof ApiException a && a.status() == 410
                        ? new ApiException(
                            410,
                            a.code(),
                            ChangeReads.compactedMessage(entity, after, a.getMessage()),
                            a.details())
                        : t))
        .mapEmpty();
  }

  static boolean wantsEventStream(RoutingContext ctx) {
    String accept = ctx.request().getHeader("Accept");
    return accept != null
        && accept.toLowerCase(java.util.Locale.ROOT).contains("text/event-stream");
  }

  /** {@code Last-Event-ID} (an EventSource reconnecting) wins over {@code after}. */
  static long lastEventId(RoutingContext ctx, long after) {
    String id = ctx.request().getHeader("Last-Event-ID");
    if (id == null || id.isBlank()) {
      return after;
    }
    try {
      long n = Long.parseLong(id.trim());
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw ApiException.invalidField(
        "Last-Event-ID", "must be an oplog id (an integer >= 0), got \"" + id + "\"");
  }
}
