package io.emcachers.core.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import java.util.EnumSet;

/** The registry every emcachers meter goes to, and the Vert.x metrics options every node uses. */
public final class Meters {

  private Meters() {}

  /** The Vert.x metrics backend when enabled, else Micrometer's global registry. */
  public static MeterRegistry registry() {
    try {
      MeterRegistry r = BackendRegistries.getDefaultNow();
      if (r != null) {
        return r;
      }
    } catch (RuntimeException | LinkageError e) {
      // metrics backend not configured: fall back to the global registry
    }
    return Metrics.globalRegistry;
  }

  /**
   * Prometheus metrics with JVM metrics and the default labels plus {@code address} on event-bus
   * meters. Without the address label every consumer registration registers the same untagged
   * {@code vertx.eventbus.handlers} gauge again, which Micrometer rejects with a WARN at start-up;
   * with it each address has its own gauge. Our addresses are a fixed set plus one cache-read
   * address per entity; reply addresses are internal and not labelled.
   */
  public static MicrometerMetricsOptions options() {
    EnumSet<Label> labels = EnumSet.copyOf(MicrometerMetricsOptions.DEFAULT_LABELS);
    labels.add(Label.EB_ADDRESS);
    return new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true)
        .setLabels(labels)
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true));
  }
}
