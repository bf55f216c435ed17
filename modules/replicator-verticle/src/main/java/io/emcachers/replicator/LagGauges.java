package io.emcachers.replicator;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Micrometer gauges of {@link ProgressTracker} per entity: {@code emc_replicator_lag_rows},
 * {@code emc_replicator_lag_seconds} and {@code emc_replicator_last_applied_id} (tag {@code
 * entity}), registered when an entity is first seen and removed with it. The gauges read the
 * tracker from the metrics scrape's thread. Event-loop confined otherwise.
 */
final class LagGauges {

  private final MeterRegistry meters;
  private final Map<String, List<Meter>> gauges = new HashMap<>();

  LagGauges(MeterRegistry meters) {
    this.meters = meters;
  }

  /** Registers the entity's gauges on {@code tracker} unless they are already registered. */
  void register(String name, ProgressTracker tracker) {
    if (gauges.containsKey(name)) {
      return;
    }
    List<Meter> list = new ArrayList<>();
    list.add(
        Gauge.builder("emc_replicator_lag_rows", tracker, t -> t.lagRows(name))
            .tag("entity", name)
            .description("oplog rows this entity's cache has not been brought past yet")
            .register(meters));
    list.add(
        Gauge.builder("emc_replicator_lag_seconds", tracker, t -> t.lagSeconds(t.lagRows(name)))
            .tag("entity", name)
            .description("age of the oldest oplog row not yet applied to this entity's cache")
            .register(meters));
    list.add(
        Gauge.builder("emc_replicator_last_applied_id", tracker, t -> t.lastApplied(name))
            .tag("entity", name)
            .description("last oplog id in this entity's cache")
            .register(meters));
    gauges.put(name, list);
  }

  /** Removes the entity's gauges (it was deleted). */
  void remove(String name) {
    List<Meter> registered = gauges.remove(name);
    if (registered != null) {
      registered.forEach(meters::remove);
    }
  }
}
