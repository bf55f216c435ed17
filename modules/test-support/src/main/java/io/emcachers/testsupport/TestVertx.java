package io.emcachers.testsupport;

import io.emcachers.core.bus.Codecs;
import io.emcachers.core.metrics.Meters;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

/** Vert.x instances for tests, with every codec registered as the launcher does. */
public final class TestVertx {

  private TestVertx() {}

  /** A plain Vert.x (no metrics backend). */
  public static Vertx create() {
    Vertx vertx = Vertx.vertx();
    Codecs.registerAll(vertx.eventBus());
    return vertx;
  }

  /** A Vert.x with the node's metrics options (Prometheus backend), as the launcher creates it. */
  public static Vertx withMetrics() {
    Vertx vertx = Vertx.vertx(new VertxOptions().setMetricsOptions(Meters.options()));
    Codecs.registerAll(vertx.eventBus());
    return vertx;
  }
}
