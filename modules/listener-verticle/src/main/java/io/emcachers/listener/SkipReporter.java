package io.emcachers.listener;

import io.emcachers.core.status.StatusPublisher;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Documents the listener skips because no retry could ever store them (the oplog side rejected the
 * entry, or the event could not be turned into entries): each is counted ({@code
 * emc_listener_events_skipped_total{reason}}), logged once per entity and doc id at WARN, and
 * published on {@code emc.status} ({@code type=error, state=skipped}, {@code data.doc_id}, {@code
 * data.reason}). The stream and the scan go on.
 */
final class SkipReporter {

  private static final Logger LOG = LoggerFactory.getLogger(SkipReporter.class);
  private static final int REMEMBERED = 10_000;

  private final StatusPublisher status;
  private final ListenerMetrics metrics;
  private long total;
  private final Map<String, Boolean> logged =
      new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > REMEMBERED;
        }
      };

  SkipReporter(StatusPublisher status, ListenerMetrics metrics) {
    this.status = status;
    this.metrics = metrics;
  }

  void skipped(String source, String entity, String docId, String reason, String detail) {
    total++;
    metrics.skipped(source == null ? "unknown" : source, reason);
    if (logged.put(entity + "\u0000" + docId + "\u0000" + reason, Boolean.TRUE) == null) {
      LOG.warn(
          "listener: skipped document _id {} of entity {} ({}): {}", docId, entity, reason, detail);
      status.error(
          entity,
          "skipped",
          new JsonObject()
              .put("doc_id", docId)
              .put("reason", reason)
              .put("message", detail)
              .put("note", "the document is not in the cache; the stream goes on"));
    }
  }

  long total() {
    return total;
  }
}
