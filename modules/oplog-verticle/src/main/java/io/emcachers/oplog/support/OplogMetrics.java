package io.emcachers.oplog.support;

import io.emcachers.core.metrics.Meters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The oplog verticle's meters ({@code emc_oplog_*}) plus plain totals for its health reply. Uses
 * the Vert.x Micrometer registry when metrics are enabled, else the global registry.
 *
 * <ul>
 *   <li>{@code emc_oplog_entries_total{entity, operation}}: entries of committed append batches
 *   <li>{@code emc_oplog_routed_total{destination}}: entries by destination (oplog, staging,
 *       dropped, stale, rejected)
 *   <li>{@code emc_oplog_append_seconds}: commit time of one batch
 *   <li>{@code emc_oplog_append_failures_total}: batches that failed
 *   <li>{@code emc_oplog_repaired_total{entity}}: synthetic rows written by {@code
 *       emc.oplog.repair}
 *   <li>{@code emc_oplog_repair_skipped_total{entity}}: repair entries skipped because a newer row
 *       of the document existed
 *   <li>{@code emc_oplog_repair_rejected_total{entity}}: repair entries that cannot be stored
 * </ul>
 */
public final class OplogMetrics {

  private final MeterRegistry registry;
  private final Map<String, Counter> entryCounters = new ConcurrentHashMap<>();
  private final Counter routedOplog;
  private final Counter routedStaging;
  private final Counter routedDropped;
  private final Counter routedStale;
  private final Counter routedRejected;
  private final Timer appendTimer;
  private final Counter appendFailures;
  private final AtomicLong appended = new AtomicLong();
  private final AtomicLong staged = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong repairedTotal = new AtomicLong();
  private final AtomicLong repairSkippedTotal = new AtomicLong();
  private final Map<String, Counter> repairCounters = new ConcurrentHashMap<>();

  public OplogMetrics() {
    registry = Meters.registry();
    appendTimer =
        Timer.builder("emc_oplog_append_seconds")
            .description("time to commit one append batch")
            .register(registry);
    appendFailures =
        Counter.builder("emc_oplog_append_failures_total")
            .description("append batches that failed")
            .register(registry);
    routedOplog = routed("oplog");
    routedStaging = routed("staging");
    routedDropped = routed("dropped");
    routedStale = routed("stale");
    routedRejected = routed("rejected");
  }

  private Counter routed(String destination) {
    return Counter.builder("emc_oplog_routed_total")
        .description(
            "appended entries by destination: oplog, staging, dropped (unknown or deleted entity),"
                + " stale (projected under an older epoch of the entity), rejected (cannot be stored; skipped)")
        .tag("destination", destination)
        .register(registry);
  }

  /**
   * Records one committed batch; {@code perEntityOp} maps "entity operation" keys to entry counts.
   */
  public void batchCommitted(
      Duration took,
      Map<EntityOp, Integer> perEntityOp,
      int appendedCount,
      int stagedCount,
      int droppedCount) {
    appendTimer.record(took);
    batches.incrementAndGet();
    appended.addAndGet(appendedCount);
    staged.addAndGet(stagedCount);
    dropped.addAndGet(droppedCount);
    routedOplog.increment(appendedCount);
    routedStaging.increment(stagedCount);
    routedDropped.increment(droppedCount);
    perEntityOp.forEach(
        (key, n) ->
            entryCounters
                .computeIfAbsent(
                    key.entity() + '\u0000' + key.operation(),
                    k ->
                        Counter.builder("emc_oplog_entries_total")
                            .description("entries of committed append batches")
                            .tag("entity", key.entity())
                            .tag("operation", key.operation())
                            .register(registry))
                .increment(n));
  }

  /** Records one committed repair of {@code entity}. */
  public void repaired(String entity, int applied, int skipped, int rejected) {
    repairedTotal.addAndGet(applied);
    repairSkippedTotal.addAndGet(skipped);
    repairCounter("emc_oplog_repaired_total", "synthetic rows written by repairs", entity)
        .increment(applied);
    repairCounter(
            "emc_oplog_repair_skipped_total",
            "repair entries skipped: a newer row of the document existed",
            entity)
        .increment(skipped);
    repairCounter(
            "emc_oplog_repair_rejected_total",
            "repair entries that cannot be stored (skipped)",
            entity)
        .increment(rejected);
  }

  private Counter repairCounter(String name, String description, String entity) {
    return repairCounters.computeIfAbsent(
        name + '\u0000' + entity,
        k ->
            Counter.builder(name)
                .description(description)
                .tag("entity", entity)
                .register(registry));
  }

  public long repairedTotal() {
    return repairedTotal.get();
  }

  public long repairSkippedTotal() {
    return repairSkippedTotal.get();
  }

  public void staleEntries(int n) {
    routedStale.increment(n);
  }

  public void rejectedEntries(int n) {
    routedRejected.increment(n);
  }

  public void batchFailed() {
    failures.incrementAndGet();
    appendFailures.increment();
  }

  /** Key of the per-entity entry counter. */
  public record EntityOp(String entity, String operation) {}

  public long appendedTotal() {
    return appended.get();
  }

  public long stagedTotal() {
    return staged.get();
  }

  public long droppedTotal() {
    return dropped.get();
  }

  public long batchesTotal() {
    return batches.get();
  }

  public long failuresTotal() {
    return failures.get();
  }
}
