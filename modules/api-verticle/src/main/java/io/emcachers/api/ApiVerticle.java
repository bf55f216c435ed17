package io.emcachers.api;

import io.emcachers.api.auth.ApiKeyAuthHandler;
import io.emcachers.api.changes.CacheWait;
import io.emcachers.api.changes.ChangeFeeds;
import io.emcachers.api.cluster.HolderReads;
import io.emcachers.api.errors.ErrorResponses;
import io.emcachers.api.health.HealthProcedures;
import io.emcachers.api.routes.CacheRoutes;
import io.emcachers.api.routes.ChangesRoutes;
import io.emcachers.api.routes.ClusterRoutes;
import io.emcachers.api.routes.DashboardRoutes;
import io.emcachers.api.routes.DocsRoutes;
import io.emcachers.api.routes.EntityRoutes;
import io.emcachers.api.routes.HealthRoutes;
import io.emcachers.api.routes.MetricsRoutes;
import io.emcachers.api.routes.MultipartRefusal;
import io.emcachers.api.routes.OplogAdminRoutes;
import io.emcachers.api.routes.OplogRoutes;
import io.emcachers.api.routes.ReplicationRoutes;
import io.emcachers.api.routes.RequestTargetCheck;
import io.emcachers.api.routes.RouteFactory;
import io.emcachers.api.routes.SystemRoutes;
import io.emcachers.api.routes.VerifyRoutes;
import io.emcachers.api.routes.WaitRoutes;
import io.emcachers.api.status.StatusFeedBridge;
import io.emcachers.api.system.EventLoopProbe;
import io.emcachers.core.bus.ConsumerGroup;
import io.emcachers.core.cluster.ClusterView;
import io.emcachers.core.cluster.MembershipConfig;
import io.emcachers.core.status.ComponentState;
import io.emcachers.core.status.StatusPublisher;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.CorsHandler;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The management API: REST endpoints, health checks, the status feed over WebSocket and SockJS,
 * Prometheus metrics and the OpenAPI document. It reaches the other verticles only over the event
 * bus. Deployed with the root config; reads its {@code api} section through {@link ApiConfig}.
 * After listening, the bound port is available from {@link #actualPort()} (port 0 binds any free
 * port), logged, and published on {@code emc.status} as a {@code component} event (component {@code
 * api}, state {@code listening}, data {@code node, host, port}).
 */
public class ApiVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(ApiVerticle.class);

  /** The component name on the status feed. */
  public static final String COMPONENT = "api";

  private volatile int actualPort = -1;
  private volatile Router router;
  private HttpServer server;
  private StatusFeedBridge feed;
  private EventLoopProbe probe;
  private ClusterView view;
  private ConsumerGroup consumers;
  private ChangeFeeds changes;
  private CacheWait waits;

  public ApiVerticle() {}

  @Override
  public Future<?> start() {
    ApiConfig config;
    try {
      config = ApiConfig.fromJson(config());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    // Bus requests give up a little before the HTTP deadline, so the answer names the component.
    BusClient bus =
        new BusClient(vertx.eventBus(), Math.max(50, config.requestTimeoutMs() * 9 / 10));
    feed = new StatusFeedBridge(vertx);
    probe = new EventLoopProbe(vertx);
    consumers = new ConsumerGroup(vertx);
    view = new ClusterView(vertx, MembershipConfig.fromJson(config())).listen(consumers);
    changes = new ChangeFeeds(vertx, bus, config.feed());
    waits = new CacheWait(vertx, bus, changes.heads());
    router = buildRouter(config, bus);

    // HTTP/1.1 only: a cleartext HTTP/2 upgrade (Upgrade: h2c) is not offered, so every request
    // goes
    // through the HTTP/1 decoder, whose failures get the one error shape (invalidRequest).
    HttpServerOptions options =
        new HttpServerOptions()
            .setHost(config.host())
            .setPort(config.port())
            .setHttp2ClearTextEnabled(false)
            // browsers send the key as a subprotocol entry; the feed answers with this one
            .setWebSocketSubProtocols(List.of(ApiKeyAuthHandler.WEBSOCKET_PROTOCOL));
    server =
        vertx
            .createHttpServer(options)
            .requestHandler(router)
            .invalidRequestHandler(ErrorResponses::invalidRequest);
    return feed.start()
        .compose(v -> changes.start())
        .compose(v -> waits.start())
        .compose(v -> consumers.ready())
        .compose(v -> server.listen())
        .onSuccess(
            s -> {
              actualPort = s.actualPort();
              probe.start();
              new StatusPublisher(vertx.eventBus(), COMPONENT, config.nodeId())
                  .component(
                      ComponentState.LISTENING,
                      new JsonObject().put("host", config.host()).put("port", actualPort));
              LOG.info(
                  "API listening on http://{}:{} (API key {}; reads {})",
                  config.host(),
                  actualPort,
                  config.hasKey() ? "configured" : "NOT configured: writes are refused",
                  config.openReads() ? "open" : "need the key");
              if (config.hasKey() && config.key().length() < ApiConfig.RECOMMENDED_KEY_LENGTH) {
                LOG.warn(
                    "api.key is shorter than {} characters; use a longer random key",
                    ApiConfig.RECOMMENDED_KEY_LENGTH);
              }
            });
  }

  private Router buildRouter(ApiConfig config, BusClient bus) {
    Router r = Router.router(vertx);
    // before anything matches a path: a badly percent-encoded path or query is a 400, not a 500
    r.route().handler(new RequestTargetCheck());
    r.route().handler(new MultipartRefusal());
    if (!config.corsOrigins().isEmpty()) {
      r.route().handler(cors(config.corsOrigins()));
    }
    RouteFactory routes =
        new RouteFactory(
            r,
            new ApiKeyAuthHandler(config.key(), config.openReads()),
            config.bodyLimitBytes(),
            config.requestTimeoutMs());

    new HealthRoutes(new HealthProcedures(vertx, bus, config.healthTimeoutMs()), config.nodeId())
        .mount(routes);
    new EntityRoutes(bus).mount(routes);
    new OplogRoutes(bus).mount(routes);
    new OplogAdminRoutes(bus).mount(routes);
    new ReplicationRoutes(bus, feed, view).mount(routes);
    new ClusterRoutes(view, config.nodeId()).mount(routes);
    new VerifyRoutes(bus).mount(routes);
    new SystemRoutes(bus, config.healthTimeoutMs(), probe, feed, config.nodeId()).mount(routes);
    new CacheRoutes(
            bus,
            new HolderReads(view, config.nodeId(), view.config().readAttemptTimeoutMs()),
            config.queryMaxRows(),
            config.queryTimeoutMs())
        .mount(routes);
    new ChangesRoutes(bus, changes).mount(routes);
    new WaitRoutes(waits, config.feed()).mount(routes);
    new MetricsRoutes(vertx).mount(routes);
    new DocsRoutes().mount(routes);
    new DashboardRoutes().mount(routes);
    feed.mount(routes);

    r.route().failureHandler(ErrorResponses::handleFailure);
    for (int status : List.of(400, 401, 403, 404, 405, 406, 408, 413, 415, 417, 500, 503, 504)) {
      r.errorHandler(status, ctx -> ErrorResponses.handleFailure(ctx, status));
    }
    return r;
  }

  private static CorsHandler cors(List<String> origins) {
    CorsHandler cors = CorsHandler.create();
    if (!origins.equals(List.of("*"))) {
      cors.addOrigins(origins);
    }
    return cors.allowedMethods(
            Set.of(
                HttpMethod.GET,
                HttpMethod.POST,
                HttpMethod.PUT,
                HttpMethod.DELETE,
                HttpMethod.OPTIONS))
        .allowedHeaders(Set.of("Authorization", "Content-Type"))
        .maxAgeSeconds(600);
  }

  @Override
  public Future<?> stop() {
    if (probe != null) {
      probe.stop();
    }
    if (view != null) {
      view.stop();
    }
    Future<Void> feedStopped = feed == null ? Future.succeededFuture() : feed.stop();
    if (changes != null) {
      feedStopped = Future.join(feedStopped, changes.stop(), waits.stop()).mapEmpty();
    }
    if (consumers != null) {
      feedStopped = Future.join(feedStopped, consumers.unregisterAll()).mapEmpty();
    }
    Future<Void> serverClosed = server == null ? Future.succeededFuture() : server.close();
    return Future.join(feedStopped, serverClosed).onComplete(ar -> LOG.info("API stopped"));
  }

  /** The bound HTTP port once started (the real one when configured with port 0), else -1. */
  public int actualPort() {
    return actualPort;
  }

  /** The change feeds (streams, long-polls), for tests and stats. */
  public ChangeFeeds changes() {
    return changes;
  }

  /** The router, for tests that compare its routes with the OpenAPI document. */
  public Router router() {
    return router;
  }
}
