package io.emcachers.api.changes;

import io.emcachers.core.metrics.Meters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Gauges and counters of the streaming change feed: {@code emc_api_changes_streams} (open SSE and
 * WebSocket clients), {@code emc_api_changes_queued_bytes} (bytes written to them that their
 * connections have not taken yet, all clients), {@code emc_api_changes_queued_bytes_peak} (the
 * highest any one client reached since start), {@code emc_api_changes_events_total} and {@code
 * emc_api_changes_disconnected_total{reason}} ({@code slow}: its queue stayed full too long).
 * Process-wide, like the registry they are in: every API verticle of the JVM adds to the same
 * figures.
 */
public final class FeedMetrics {

  private static final AtomicLong streams = new AtomicLong();
  private static final AtomicLong queued = new AtomicLong();
  private static final AtomicLong peak = new AtomicLong();
  private final MeterRegistry registry;
  private final Counter events;

  public FeedMetrics() {
    this(Meters.registry());
  }

  FeedMetrics(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("emc_api_changes_streams", streams, AtomicLong::get)
        .description("open change feed streams (SSE and WebSocket)")
        .register(registry);
    Gauge.builder("emc_api_changes_queued_bytes", queued, AtomicLong::get)
        .description("bytes written to change feed clients and not yet taken by their connections")
        .register(registry);
    Gauge.builder("emc_api_changes_queued_bytes_peak", peak, AtomicLong::get)
        .description("the most bytes one change feed client had queued at once")
        .register(registry);
    events = Counter.builder("emc_api_changes_events_total").register(registry);
  }

  void opened() {
    streams.incrementAndGet();
  }

  void closed() {
    streams.decrementAndGet();
  }

  /** One client's queue changed by {@code delta} to {@code clientQueued}. */
  void queued(long delta, long clientQueued) {
    queued.addAndGet(delta);
    peak.accumulateAndGet(clientQueued, Math::max);
  }

  void event() {
    events.increment();
  }

  void disconnected(String reason) {
    Counter.builder("emc_api_changes_disconnected_total")
        .tag("reason", reason)
        .register(registry)
        .increment();
  }

  public long streams() {
    return streams.get();
  }

  public long queuedBytes() {
    return queued.get();
  }

  public long peakQueuedBytes() {
    return peak.get();
  }
}
