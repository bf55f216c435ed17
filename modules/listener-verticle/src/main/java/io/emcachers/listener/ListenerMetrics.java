package io.emcachers.listener;

import io.emcachers.core.metrics.Meters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The listener's Micrometer meters ({@code emc_listener_*}). Counters are shared per registry;
 * gauges read this instance and are removed on {@link #close()}.
 */
public final class ListenerMetrics implements AutoCloseable {

  private final MeterRegistry registry;
  private final List<Meter> owned = new ArrayList<>();
  private final Map<String, AtomicLong[]> scanProgress = new ConcurrentHashMap<>();

  public ListenerMetrics(Supplier<Number> entriesInFlight, Supplier<Number> batchesInFlight) {
    this.registry = Meters.registry();
    owned.add(
        Gauge.builder("emc_listener_entries_in_flight", () -> entriesInFlight.get())
            .description("oplog entries sent and not yet acked")
            .strongReference(true)
            .register(registry));
    owned.add(
        Gauge.builder("emc_listener_batches_in_flight", () -> batchesInFlight.get())
            .description("append batches awaiting their ack")
            .strongReference(true)
            .register(registry));
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** An event seen for an entity, by operation (Upsert/Delete). */
  public void event(String entity, String operation) {
    Counter.builder("emc_listener_events_total")
        .tag("entity", entity)
        .tag("operation", operation)
        .description("change events turned into oplog entries")
        .register(registry)
        .increment();
  }

  /** An event of a collection that no entity watches. */
  public void ignored(String collection) {
    Counter.builder("emc_listener_events_ignored_total")
        .tag("collection", collection)
        .description("change events of collections no entity watches")
        .register(registry)
        .increment();
  }

  /** An event skipped (update whose looked-up document is gone, unsupported operation). */
  public void skipped(String collection, String reason) {
    Counter.builder("emc_listener_events_skipped_total")
        .tag("collection", collection)
        .tag("reason", reason)
        .description("change events carrying no state")
        .register(registry)
        .increment();
  }

  public void coercionError(String entity, String column) {
    Counter.builder("emc_listener_coercion_errors_total")
        .tag("entity", entity)
        .tag("column", column)
        .description("values that did not fit their column (became null)")
        .register(registry)
        .increment();
  }

  public double coercionErrors(String entity, String column) {
    Counter c =
        registry
            .find("emc_listener_coercion_errors_total")
            .tag("entity", entity)
            .tag("column", column)
            .counter();
    return c == null ? 0 : c.count();
  }

  public void batch(String kind, int entries) {
    Counter.builder("emc_listener_batches_total")
        .tag("kind", kind)
        .description("append batches acked")
        .register(registry)
        .increment();
    Counter.builder("emc_listener_entries_total")
        .tag("kind", kind)
        .description("oplog entries acked")
        .register(registry)
        .increment(entries);
  }

  public void streamRestart(String stream) {
    Counter.builder("emc_listener_stream_restarts_total")
        .tag("stream", stream)
        .description("change stream reconnects")
        .register(registry)
        .increment();
  }

  public void rescan(String entity) {
    Counter.builder("emc_listener_rescans_total")
        .tag("entity", entity)
        .description("entities re-scanned because a stored position was unusable")
        .register(registry)
        .increment();
  }

  /** Scan progress gauges of an entity: documents scanned and the estimated total. */
  public void scanProgress(String entity, long scanned, long estimated) {
    AtomicLong[] values =
        scanProgress.computeIfAbsent(
            entity,
            e -> {
              AtomicLong[] v = {new AtomicLong(), new AtomicLong(-1)};
              synchronized (owned) {
                owned.add(
                    Gauge.builder("emc_listener_scan_docs_scanned", v[0], AtomicLong::get)
                        .tag("entity", e)
                        .description("documents scanned by the entity's current or last scan")
                        .strongReference(true)
                        .register(registry));
                owned.add(
                    Gauge.builder("emc_listener_scan_docs_estimated", v[1], AtomicLong::get)
                        .tag("entity", e)
                        .description("estimated documents in the entity's collection at scan start")
                        .strongReference(true)
                        .register(registry));
              }
              return v;
            });
    values[0].set(scanned);
    values[1].set(estimated);
  }

  @Override
  public void close() {
    synchronized (owned) {
      owned.forEach(registry::remove);
      owned.clear();
    }
    scanProgress.clear();
  }
}
