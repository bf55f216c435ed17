package io.emcachers.api.routes;

import io.emcachers.api.errors.ApiException;
import io.emcachers.api.errors.ErrorResponses;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.backends.BackendRegistries;

/**
 * {@code GET /metrics}: the Prometheus text of the default Vert.x Micrometer registry (the launcher
 * enables the Prometheus backend), so it holds Vert.x's HTTP and event-bus meters and every {@code
 * emc_*} meter the verticles of this JVM register. Scraping runs off the event loop.
 */
public final class MetricsRoutes {

  private final Vertx vertx;

  public MetricsRoutes(Vertx vertx) {
    this.vertx = vertx;
  }

  public void mount(RouteFactory routes) {
    routes.route(HttpMethod.GET, "/metrics", RouteFactory.Access.READ).handler(this::scrape);
  }

  private void scrape(RoutingContext ctx) {
    MeterRegistry registry = BackendRegistries.getDefaultNow();
    if (!(registry instanceof PrometheusMeterRegistry prometheus)) {
      ErrorResponses.send(
          ctx,
          new ApiException(
              503,
              "unavailable",
              "Prometheus metrics are not enabled in this process (Vert.x must start with the Micrometer Prometheus backend)"));
      return;
    }
    vertx
        .executeBlocking(prometheus::scrape, false)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                Http.fail(ctx, ar.cause());
              } else if (!ctx.response().ended()) {
                ctx.response()
                    .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                    .end(ar.result());
              }
            });
  }
}
