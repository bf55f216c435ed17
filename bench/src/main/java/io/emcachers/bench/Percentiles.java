package io.emcachers.bench;

import io.vertx.core.json.JsonObject;
import java.util.Arrays;

/** Percentiles of a set of latencies in nanoseconds (exact: the values are sorted). */
final class Percentiles {

  private final long[] sorted;

  Percentiles(long[] nanos) {
    this.sorted = nanos.clone();
    Arrays.sort(this.sorted);
  }

  int count() {
    return sorted.length;
  }

  /** The value at quantile {@code q} (0..1), nearest-rank; 0 when empty. */
  long at(double q) {
    if (sorted.length == 0) {
      return 0;
    }
    int idx = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
  }

  long max() {
    return sorted.length == 0 ? 0 : sorted[sorted.length - 1];
  }

  long[] sortedValues() {
    return sorted;
  }

  static double ms(long nanos) {
    return Math.round(nanos / 10_000.0) / 100.0;
  }

  JsonObject toJson() {
    return new JsonObject()
        .put("count", count())
        .put("p50_ms", ms(at(0.50)))
        .put("p95_ms", ms(at(0.95)))
        .put("p99_ms", ms(at(0.99)))
        .put("max_ms", ms(max()));
  }
}
