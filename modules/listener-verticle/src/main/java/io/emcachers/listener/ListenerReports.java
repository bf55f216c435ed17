package io.emcachers.listener;

import io.emcachers.core.client.EntitiesClient;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.projection.Projection;
import io.emcachers.core.status.StatusPublisher;
import io.emcachers.listener.scan.ScanCollaborators;
import io.emcachers.listener.stream.StreamHooks;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where one session's parts report: metrics, coercion and skip reports, re-scan, progress and
 * scan-failure status events on {@code emc.status}, and the session's last error for health.
 * Implements the reporting roles of the scans and the streams.
 */
final class ListenerReports implements ScanCollaborators.Reports, StreamHooks.Observer {

  private static final Logger LOG = LoggerFactory.getLogger(ListenerReports.class);

  private final StatusPublisher status;
  private final EntitiesClient entities;
  private final ListenerMetrics metrics;
  private final CoercionReporter coercion;
  private final SkipReporter skips;
  private final Clock clock;
  private String lastError;
  private long lastErrorAt;

  /** {@code entities}: where a failed scan marks its entity failed. */
  ListenerReports(
      StatusPublisher status,
      EntitiesClient entities,
      ListenerMetrics metrics,
      CoercionReporter coercion,
      Clock clock) {
    this.status = status;
    this.entities = entities;
    this.metrics = metrics;
    this.coercion = coercion;
    this.skips = new SkipReporter(status, metrics);
    this.clock = clock;
  }

  /** Counts and reports what routing one event found (the entries go to the stream). */
  void routed(ChangeRouter.Routed routed) {
    if (routed.ignored() != null) {
      metrics.ignored(routed.ignored());
    }
    if (routed.skipped() != null) {
      metrics.skipped(routed.skippedCollection(), routed.skipped());
    }
    for (ChangeRouter.Mismatched m : routed.mismatches()) {
      coercion.record(m.entity(), m.docId(), m.mismatch());
    }
    for (ChangeRouter.Counted c : routed.counted()) {
      metrics.event(c.entity(), c.operation());
    }
    for (ChangeRouter.Unprojectable u : routed.unprojectable()) {
      skips.skipped(u.collection(), u.entity(), u.docId(), "unprojectable", u.detail());
    }
  }

  /**
   * An entity is re-scanned because its stream or collection lost history: counted and published.
   */
  void rescan(String entity, JsonObject data) {
    metrics.rescan(entity);
    status.error(entity, "rescan", data);
  }

  /**
   * The oplog side refused the scan in a way no retry can fix: report it and mark the entity
   * failed.
   */
  void scanFailed(String name, String reason) {
    error("scan of " + name + " failed: " + reason);
    status.error(
        name,
        "scan_failed",
        new JsonObject()
            .put("message", reason)
            .put(
                "note",
                "the entity is marked failed; fix the cause, then recreate it or set its status"));
    entities
        .setStatus(name, EntityStatus.failed, reason)
        .onFailure(
            e -> LOG.warn("listener: could not mark entity {} failed: {}", name, e.toString()));
  }

  @Override
  public void rejected(String source, JsonArray rejected) {
    for (int i = 0; i < rejected.size(); i++) {
      JsonObject r = rejected.getJsonObject(i);
      skips.skipped(
          source, r.getString("entity"), r.getString("doc_id"), "rejected", r.getString("reason"));
    }
  }

  @Override
  public void mismatches(String entity, String docId, List<Projection.Mismatch> mismatches) {
    for (Projection.Mismatch m : mismatches) {
      coercion.record(entity, docId, m);
    }
  }

  @Override
  public void progress(String entity, long scanned, long estimatedTotal, boolean done) {
    metrics.scanProgress(entity, scanned, estimatedTotal);
    status.progress(
        entity,
        done ? "scanned" : "scanning",
        new JsonObject().put("scanned", scanned).put("estimated_total", estimatedTotal));
  }

  @Override
  public void failed(String stream, Throwable cause) {
    metrics.streamRestart(stream);
    error("stream " + stream + ": " + cause);
  }

  @Override
  public void acked(String stream, String collection, AppendBatch batch, AppendResult result) {
    metrics.batch(AppendBatch.KIND_STREAM, batch.entries().size());
    rejected(collection, result.rejected());
    if (LOG.isDebugEnabled()) {
      LOG.debug(
          "stream {}: batch of {} acked: appended {}, staged {}, last id {}, entities {}",
          stream,
          batch.entries().size(),
          result.appended(),
          result.staged(),
          result.lastId(),
          batch.entries().stream().map(e -> e.entity() + ":" + e.docId()).toList());
    }
  }

  void forget(String entity) {
    coercion.forget(entity);
  }

  void error(String error) {
    lastError = error;
    lastErrorAt = clock.millis();
  }

  String lastError() {
    return lastError;
  }

  JsonObject toJson() {
    return new JsonObject()
        .put("coercion_errors", coercion.toJson())
        .put("skipped_documents", skips.total())
        .put("last_error", lastError)
        .put(
            "last_error_at",
            lastErrorAt == 0 ? null : Instant.ofEpochMilli(lastErrorAt).toString());
  }
}
