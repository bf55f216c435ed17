package io.emcachers.core.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.vertx.micrometer.backends.BackendRegistries;

/** The registry every emcachers meter goes to: the Vert.x metrics backend when enabled, else Micrometer's global registry. */
public final class Meters {

  private Meters() {}

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
}
