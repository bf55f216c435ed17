package io.emcachers.launcher;

import io.emcachers.core.bus.Codecs;
import io.emcachers.core.metrics.Meters;
import io.emcachers.launcher.config.LaunchConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;

/**
 * Creates the node's Vert.x: Prometheus metrics on, clustered when configured, codecs registered
 * once.
 */
public final class VertxFactory {

  private VertxFactory() {}

  public static Future<Vertx> create(LaunchConfig launch) {
    VertxOptions options = new VertxOptions().setMetricsOptions(Meters.options());
    VertxBuilder builder = Vertx.builder().withMetrics(new MicrometerMetricsFactory());
    Future<Vertx> vertx;
    if (launch.clustered()) {
      options.setEventBusOptions(
          new EventBusOptions()
              .setHost(launch.clusterHost())
              .setClusterPublicHost(launch.clusterHost()));
      vertx =
          builder
              .with(options)
              .withClusterManager(ClusterFactory.clusterManager(launch))
              .buildClustered();
    } else {
      vertx = Future.succeededFuture(builder.with(options).build());
    }
    return vertx.onSuccess(v -> Codecs.registerAll(v.eventBus()));
  }
}
