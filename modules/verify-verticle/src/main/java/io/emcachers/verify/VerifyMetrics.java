package io.emcachers.verify;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The verifier's meters, per entity: {@code emc_verify_docs_checked_total}, {@code
 * emc_verify_differences_total{kind}} (missing, extra, different; confirmed ones), {@code
 * emc_verify_repaired_total{how}} (oplog, local), and the gauges {@code
 * emc_verify_last_verified_timestamp_seconds} and {@code emc_verify_last_duration_seconds} of the
 * last finished run.
 */
final class VerifyMetrics {

  private final MeterRegistry registry;
  private final Map<String, AtomicLong> lastVerified = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> lastDuration = new ConcurrentHashMap<>();

  VerifyMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void docsChecked(String entity, long n) {
    if (n > 0) {
      Counter.builder("emc_verify_docs_checked_total")
          .description("source documents compared with the cache")
          .tag("entity", entity)
          .register(registry)
          .increment(n);
    }
  }

  void differences(String entity, String kind, long n) {
    if (n > 0) {
      Counter.builder("emc_verify_differences_total")
          .description("confirmed differences between the source and the cache")
          .tag("entity", entity)
          .tag("kind", kind)
          .register(registry)
          .increment(n);
    }
  }

  void repaired(String entity, String how, long n) {
    if (n > 0) {
      Counter.builder("emc_verify_repaired_total")
          .description("differences repaired (oplog: synthetic rows; local: this node's file)")
          .tag("entity", entity)
          .tag("how", how)
          .register(registry)
          .increment(n);
    }
  }

  /** A run of {@code entity} finished at {@code epochMillis} after {@code durationMs}. */
  void finished(String entity, long epochMillis, long durationMs) {
    gauge(
            lastVerified,
            "emc_verify_last_verified_timestamp_seconds",
            "when the last verification of the entity finished",
            entity)
        .set(Double.doubleToLongBits(epochMillis / 1000.0));
    gauge(
            lastDuration,
            "emc_verify_last_duration_seconds",
            "how long the last verification of the entity took",
            entity)
        .set(Double.doubleToLongBits(durationMs / 1000.0));
  }

  private AtomicLong gauge(
      Map<String, AtomicLong> map, String name, String description, String entity) {
    return map.computeIfAbsent(
        entity,
        e -> {
          AtomicLong bits = new AtomicLong(Double.doubleToLongBits(Double.NaN));
          Gauge.builder(name, bits, b -> Double.longBitsToDouble(b.get()))
              .description(description)
              .tag("entity", e)
              .register(registry);
          return bits;
        });
  }
}
