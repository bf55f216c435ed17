package io.emcachers.listener.scan;

import io.emcachers.core.model.Entity;
import io.emcachers.core.projection.Projection;
import io.emcachers.listener.ListenerConfig;
import io.emcachers.listener.flow.BatchWindow;
import io.emcachers.mongo.MongoSource;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import java.util.List;

/**
 * What scans need from the rest of the listener, passed in as narrow roles: the entity table, the
 * stream gate, the reports, the MongoDB source and the shared backpressure window.
 */
public record ScanCollaborators(
    Vertx vertx,
    ListenerConfig config,
    MongoSource source,
    BatchWindow window,
    Entities entities,
    StreamGate streams,
    Reports reports) {

  /** The entities as currently known. */
  public interface Entities {
    /** The entity (null once deleted or no longer streamed). */
    Entity entity(String name);

    Projection projection(String name);

    /**
     * A scan attempt began on the oplog side: adopt the entity with the attempt's epoch (unless a
     * newer version is known).
     */
    void adopt(Entity begun);
  }

  /** The change streams, as the scan protocol needs them (by source collection). */
  public interface StreamGate {
    /** The name of the stream carrying {@code collection}, or null when none does. */
    String streamOf(String collection);

    /**
     * True when that stream resumed from a stored token with no gap since (an interrupted scan may
     * continue).
     */
    boolean continuous(String collection);

    /** Completes once that stream is open: its position precedes every document the scan reads. */
    Future<Void> whenOpen(String collection);
  }

  /** Where scans report (metrics, {@code emc.status}, skipped documents). */
  public interface Reports {
    /** Entries of {@code source} that were not stored ({@code [{entity, doc_id, reason}]}). */
    void rejected(String source, JsonArray rejected);

    void mismatches(String entity, String docId, List<Projection.Mismatch> mismatches);

    void progress(String entity, long scanned, long estimatedTotal, boolean done);
  }
}
