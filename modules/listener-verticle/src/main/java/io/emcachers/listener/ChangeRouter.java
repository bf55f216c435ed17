package io.emcachers.listener;

import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.Operation;
import io.emcachers.core.projection.BsonJson;
import io.emcachers.core.projection.DocIds;
import io.emcachers.core.projection.Projection;
import io.emcachers.listener.stream.ChangeEvent;
import java.util.ArrayList;
import java.util.List;
import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns one change event into oplog entries: fan-out to every entity whose source is the event's
 * collection, each projected with its shape and stamped with its epoch. An upsert whose full
 * document does not match an entity's filter is a delete for that entity: a document that leaves
 * the filter leaves the cache, one that enters it is upserted (the event carries the whole
 * document, so no earlier state is needed). Pure: it reads the {@link EntityTable} and returns a
 * {@link Routed} value that also says what to count and report (coercion mismatches, skipped and
 * ignored events, a collection-level change to re-scan); the session applies those. No bus, no
 * Vert.x.
 */
final class ChangeRouter {

  private static final Logger LOG = LoggerFactory.getLogger(ChangeRouter.class);

  /**
   * One event routed to one entity with one operation (counted in {@code
   * emc_listener_events_total}).
   */
  record Counted(String entity, String operation) {}

  /** A value that did not fit its column. */
  record Mismatched(String entity, String docId, Projection.Mismatch mismatch) {}

  /** A document no retry could turn into entries: skipped visibly, the stream goes on. */
  record Unprojectable(String collection, String entity, String docId, String detail) {}

  /**
   * drop, rename or dropDatabase: {@code entities} (on the collection, the rename's target, or all
   * for dropDatabase) must be re-scanned; {@code what} describes the change for logs and status.
   */
  record Rescan(
      String operation, String collection, String to, List<String> entities, String what) {}

  /**
   * The routing of one event. {@code skipped}: a reason the event was counted as skipped (null: not
   * skipped); {@code ignored}: the collection no entity watches (null: watched); {@code rescan}:
   * null unless a collection-level change hit entities.
   */
  record Routed(
      List<OplogEntry> entries,
      List<Counted> counted,
      List<Mismatched> mismatches,
      List<Unprojectable> unprojectable,
      String skippedCollection,
      String skipped,
      String ignored,
      Rescan rescan) {}

  private final EntityTable entities;

  ChangeRouter(EntityTable entities) {
    this.entities = entities;
  }

  Routed route(ChangeEvent event) {
    String coll = event.collection();
    String shownColl = coll == null ? "unknown" : coll;
    if (event.isCollectionLevel()) {
      return collectionChanged(event, shownColl);
    }
    List<Entity> targets = entities.on(coll);
    if (targets.isEmpty()) {
      return new Routed(List.of(), List.of(), List.of(), List.of(), null, null, shownColl, null);
    }
    List<Counted> counted = new ArrayList<>(targets.size());
    List<Mismatched> mismatches = new ArrayList<>(0);
    try {
      return entries(coll, targets, event, counted, mismatches);
    } catch (RuntimeException e) {
      // a document no retry could turn into entries: skip it visibly, never block the stream
      BsonValue id =
          event.fullDocument() != null
              ? event.fullDocument().get("_id")
              : event.documentKey() == null ? null : event.documentKey().get("_id");
      String shown = id == null ? "?" : String.valueOf(BsonJson.toJsonValue(id));
      List<Unprojectable> skips =
          targets.stream()
              .map(t -> new Unprojectable(coll, t.name(), shown, e.toString()))
              .toList();
      return new Routed(List.of(), counted, mismatches, skips, null, null, null, null);
    }
  }

  private Routed entries(
      String coll,
      List<Entity> targets,
      ChangeEvent event,
      List<Counted> counted,
      List<Mismatched> mismatches) {
    if (event.isUpsert()) {
      BsonDocument doc = event.fullDocument();
      BsonValue id = doc == null ? null : doc.get("_id");
      if (id == null) {
        return skipped(coll, doc == null ? "no_full_document" : "no_id");
      }
      String docId = DocIds.docId(id);
      List<OplogEntry> out = new ArrayList<>(targets.size());
      for (Entity e : targets) {
        Projection projection = entities.projection(e.name());
        if (!projection.matches(doc)) {
          // outside the entity's filter (or no longer inside it): absent from the entity
          counted.add(new Counted(e.name(), Operation.Delete.name()));
          out.add(
              new OplogEntry(
                  Operation.Delete, e.name(), docId, null, e.epoch(), event.clusterTime()));
          continue;
        }
        Projection.Projected p = projection.project(doc);
        p.mismatches().forEach(m -> mismatches.add(new Mismatched(e.name(), docId, m)));
        counted.add(new Counted(e.name(), Operation.Upsert.name()));
        out.add(
            new OplogEntry(
                Operation.Upsert, e.name(), docId, p.data(), e.epoch(), event.clusterTime()));
      }
      return new Routed(out, counted, mismatches, List.of(), null, null, null, null);
    }
    if (event.isDelete()) {
      BsonValue id = event.documentKey() == null ? null : event.documentKey().get("_id");
      if (id == null) {
        return skipped(coll, "no_document_key");
      }
      String docId = DocIds.docId(id);
      List<OplogEntry> out = new ArrayList<>(targets.size());
      for (Entity e : targets) {
        counted.add(new Counted(e.name(), Operation.Delete.name()));
        out.add(
            new OplogEntry(
                Operation.Delete, e.name(), docId, null, e.epoch(), event.clusterTime()));
      }
      return new Routed(out, counted, mismatches, List.of(), null, null, null, null);
    }
    LOG.info("listener: {} event on {} skipped", event.operationType(), coll);
    return skipped(coll, event.operationType());
  }

  private static Routed skipped(String coll, String reason) {
    return new Routed(List.of(), List.of(), List.of(), List.of(), coll, reason, null, null);
  }

  /**
   * drop, rename, dropDatabase: the collection's documents went away (or moved) without
   * per-document events, whatever the watch scope and whether an invalidate follows. Every entity
   * on an affected collection is re-scanned; the scan's proven deletes empty its cache of what is
   * gone.
   */
  private Routed collectionChanged(ChangeEvent event, String shownColl) {
    String op = event.operationType();
    boolean wholeDb = ChangeEvent.DROP_DATABASE.equals(op);
    List<String> affected =
        entities.all().stream()
            .filter(
                e ->
                    wholeDb
                        || e.shape().sourceName().equals(event.collection())
                        || e.shape().sourceName().equals(event.toCollection()))
            .map(Entity::name)
            .toList();
    Rescan rescan = null;
    if (!affected.isEmpty()) {
      String what =
          op
              + " of "
              + (wholeDb ? "the database" : "collection " + event.collection())
              + (event.toCollection() == null ? "" : " to " + event.toCollection());
      rescan = new Rescan(op, event.collection(), event.toCollection(), affected, what);
    }
    return new Routed(List.of(), List.of(), List.of(), List.of(), shownColl, op, null, rescan);
  }
}
