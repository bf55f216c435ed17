package io.emcachers.oplog.compaction;

import io.emcachers.core.metrics.Meters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Meters of compaction and oplog size. The gauges' values are static (one per JVM, like the
 * registry), so a re-deployed verticle keeps feeding the gauges registered first.
 *
 * <ul>
 *   <li>{@code emc_oplog_rows{entity}}: oplog rows per entity (after each run and each stats call)
 *   <li>{@code emc_oplog_table_bytes}: {@code pg_total_relation_size('oplog')} (heap, TOAST,
 *       indexes)
 *   <li>{@code emc_oplog_compaction_horizon}, {@code emc_oplog_tombstone_horizon}: H and T
 *   <li>{@code emc_oplog_compacted_rows_total}: rows removed by compaction
 *   <li>{@code emc_oplog_compaction_last_duration_seconds}: the last run's wall time
 * </ul>
 */
final class CompactionMetrics {

  private static final Map<String, AtomicLong> ROWS = new ConcurrentHashMap<>();
  private static final AtomicLong TABLE_BYTES = new AtomicLong();
  private static final AtomicLong COMPACTION_HORIZON = new AtomicLong();
  private static final AtomicLong TOMBSTONE_HORIZON = new AtomicLong();
  private static final AtomicLong LAST_DURATION_MS = new AtomicLong();

  private final MeterRegistry registry;
  private final Counter compacted;

  CompactionMetrics() {
    registry = Meters.registry();
    Gauge.builder("emc_oplog_table_bytes", TABLE_BYTES, AtomicLong::get)
        .description("bytes of the oplog table with its TOAST and indexes")
        .register(registry);
    Gauge.builder("emc_oplog_compaction_horizon", COMPACTION_HORIZON, AtomicLong::get)
        .description("H: rows below it keep only the latest row of each document")
        .register(registry);
    Gauge.builder("emc_oplog_tombstone_horizon", TOMBSTONE_HORIZON, AtomicLong::get)
        .description("T: deletes below it are removed")
        .register(registry);
    Gauge.builder(
            "emc_oplog_compaction_last_duration_seconds", LAST_DURATION_MS, v -> v.get() / 1000.0)
        .description("wall time of the last compaction run")
        .register(registry);
    compacted =
        Counter.builder("emc_oplog_compacted_rows_total")
            .description("oplog rows removed by compaction")
            .register(registry);
  }

  void removed(long rows) {
    if (rows > 0) {
      compacted.increment(rows);
    }
  }

  void run(long compactionHorizon, long tombstoneHorizon, long durationMs) {
    horizons(compactionHorizon, tombstoneHorizon);
    LAST_DURATION_MS.set(durationMs);
  }

  void horizons(long compactionHorizon, long tombstoneHorizon) {
    COMPACTION_HORIZON.set(compactionHorizon);
    TOMBSTONE_HORIZON.set(tombstoneHorizon);
  }

  void size(Map<String, Long> rowsByEntity, long totalBytes) {
    TABLE_BYTES.set(totalBytes);
    ROWS.forEach((entity, v) -> v.set(rowsByEntity.getOrDefault(entity, 0L)));
    rowsByEntity.forEach(
        (entity, n) ->
            ROWS.computeIfAbsent(
                    entity,
                    e -> {
                      AtomicLong v = new AtomicLong();
                      Gauge.builder("emc_oplog_rows", v, AtomicLong::get)
                          .description("oplog rows per entity")
                          .tag("entity", e)
                          .register(registry);
                      return v;
                    })
                .set(n));
  }
}
