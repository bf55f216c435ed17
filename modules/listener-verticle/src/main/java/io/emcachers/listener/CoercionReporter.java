package io.emcachers.listener;

import io.emcachers.core.projection.Projection;
import io.emcachers.core.status.StatusPublisher;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * Counts values that did not fit their column, per entity and column, and reports them on {@code
 * emc.status} at most once per interval per entity/column: the first one at once, later ones summed
 * into the next report ({@link #flush} runs every interval).
 */
final class CoercionReporter {

  private final StatusPublisher status;
  private final ListenerMetrics metrics;
  private final long intervalMs;
  private final Clock clock;
  private final Map<String, Slot> slots = new HashMap<>();

  private static final class Slot {
    final String entity;
    final String column;
    long lastReportAt = Long.MIN_VALUE;
    long unreported;
    long total;
    String sampleDocId;
    String sampleType;
    String columnType;
    String reason;
    String message;

    Slot(String entity, String column) {
      this.entity = entity;
      this.column = column;
    }
  }

  CoercionReporter(StatusPublisher status, ListenerMetrics metrics, long intervalMs, Clock clock) {
    this.clock = clock;
    this.status = status;
    this.metrics = metrics;
    this.intervalMs = intervalMs;
  }

  void record(String entity, String docId, Projection.Mismatch m) {
    metrics.coercionError(entity, m.column());
    Slot slot =
        slots.computeIfAbsent(entity + "\u0000" + m.column(), k -> new Slot(entity, m.column()));
    slot.unreported++;
    slot.total++;
    slot.sampleDocId = docId;
    slot.sampleType = m.bsonType();
    slot.columnType = m.type().name();
    slot.reason = m.reason();
    slot.message = m.message();
    long now = clock.millis();
    if (slot.lastReportAt == Long.MIN_VALUE || now - slot.lastReportAt >= intervalMs) {
      report(slot, now);
    }
  }

  /** Reports every slot with unreported errors whose interval has passed. */
  void flush() {
    long now = clock.millis();
    for (Slot slot : slots.values()) {
      if (slot.unreported > 0 && now - slot.lastReportAt >= intervalMs) {
        report(slot, now);
      }
    }
  }

  void forget(String entity) {
    slots.values().removeIf(s -> s.entity.equals(entity));
  }

  JsonObject toJson() {
    JsonObject json = new JsonObject();
    for (Slot s : slots.values()) {
      json.put(s.entity + "." + s.column, s.total);
    }
    return json;
  }

  private void report(Slot slot, long now) {
    JsonObject data =
        new JsonObject()
            .put("column", slot.column)
            .put("type", slot.columnType)
            .put("errors", slot.unreported)
            .put("total_errors", slot.total)
            .put("sample_doc_id", slot.sampleDocId)
            .put("sample_bson_type", slot.sampleType)
            .put("reason", slot.reason)
            .put("message", slot.message);
    status.error(slot.entity, "coercion_error", data);
    slot.lastReportAt = now;
    slot.unreported = 0;
  }
}
