package io.emcachers.replicator;

/**
 * How many oplog rows the next pass reads. A pass applies one SQLite transaction per entity in its
 * batch, so a backlog spread over k entities, read {@code read_batch_size} rows at a time, commits
 * k transactions of about {@code read_batch_size / k} rows each, and the per-row cost grows with k.
 * While a pass ends behind the head, the next one therefore reads {@code read_batch_size × k} rows
 * (at most {@code max_read_batch_size}; the oplog caps a read at {@code oplog.read_max_rows}),
 * which keeps the rows per cache transaction near {@code read_batch_size}. A pass that reached the
 * head goes back to {@code read_batch_size}: near the head, batches are small anyway and latency
 * matters. Event-loop confined.
 */
final class ReadSize {

  private final int base;
  private final int max;
  private int current;

  ReadSize(int base, int max) {
    if (base < 1 || max < base) {
      throw new IllegalArgumentException("need 1 <= base <= max, got " + base + ", " + max);
    }
    this.base = base;
    this.max = max;
    this.current = base;
  }

  /** Rows the next read asks for. */
  int next() {
    return current;
  }

  /**
   * Records a pass whose rows spread over {@code entities} entities and that ended {@code behind}
   * the head it read (more rows were there).
   */
  void observe(boolean behind, int entities) {
    current = behind ? (int) Math.min(max, (long) base * Math.max(1, entities)) : base;
  }

  /** Back to {@code read_batch_size} (after an error: the position is re-read too). */
  void reset() {
    current = base;
  }
}
