package io.emcachers.listener.scan;

import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.Operation;
import io.emcachers.core.projection.BsonJson;
import io.emcachers.core.projection.DocIds;
import io.emcachers.core.projection.Projection;
import io.emcachers.mongo.IdOrder;
import io.emcachers.mongo.PagedCursor;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshot read of one scan step 4: one {@code _id}-ordered cursor over the source collection
 * after the last acked {@code _id}, each page projected and appended as scan batches of at most N
 * entries through the backpressure window; {@link ScanProgress} moves with each ack.
 */
final class ScanReader {

  private static final Logger LOG = LoggerFactory.getLogger(ScanReader.class);

  private final ScanCollaborators with;
  private final String entityName;
  private final ScanProgress progress;
  private final BooleanSupplier cancelled;
  private final int pageSize;
  private final int chunkSize;

  /** The fields the open cursor reads ({@link Projection#sourceFields}; null: whole documents). */
  private BsonDocument readFields;

  ScanReader(
      ScanCollaborators with, String entityName, ScanProgress progress, BooleanSupplier cancelled) {
    this.with = with;
    this.entityName = entityName;
    this.progress = progress;
    this.cancelled = cancelled;
    this.pageSize = with.config().scanBatchSize();
    this.chunkSize = with.config().batchMaxEntries();
  }

  /**
   * Reads {@code collection} to its end; fails on the first failed page or append (a retry reads on
   * from the last ack).
   */
  Future<Void> read(String collection) {
    // One cursor for the whole collection (a restarted read opens a new one after the last acked
    // _id):
    // the server walks the _id index once instead of once per page.
    Projection projection = with.entities().projection(entityName);
    readFields = projection == null ? null : projection.sourceFields();
    PagedCursor<BsonDocument> cursor =
        with.source()
            .cursor(
                collection,
                IdOrder.filterAfter(progress.lastId()),
                new BsonDocument("_id", new BsonInt32(1)),
                readFields,
                pageSize);
    Promise<Void> done = Promise.promise();
    readNext(done, cursor, cursor.next(pageSize));
    return done.future().onComplete(ar -> cursor.close());
  }

  /**
   * Appends one page, then the next (a loop, not a chain of nested futures). The next page is
   * requested while this one is appended, so MongoDB reads and oplog writes overlap; at most two
   * pages are held in memory. Progress still moves only through acked appends.
   */
  private void readNext(
      Promise<Void> done, PagedCursor<BsonDocument> from, Future<List<BsonDocument>> page) {
    if (cancelled.getAsBoolean()) {
      done.tryFail(new CancellationException("scan of " + entityName + " cancelled"));
      return;
    }
    if (with.entities().entity(entityName) == null) {
      done.tryFail(new CancellationException("entity " + entityName + " deleted"));
      return;
    }
    List<Future<List<BsonDocument>>> prefetched = new ArrayList<>(1);
    page.compose(
            docs -> {
              if (docs.size() >= pageSize) {
                prefetched.add(from.next(pageSize));
              }
              return appendChunks(docs, 0);
            })
        .onComplete(
            ar -> {
              if (ar.failed()) {
                done.tryFail(ar.cause());
                return;
              }
              with.reports().progress(entityName, progress.scanned(), progress.estimated(), false);
              if (prefetched.isEmpty()) {
                LOG.info(
                    "listener: scan of {} step 4/5: read {} documents",
                    entityName,
                    progress.scanned());
                done.tryComplete();
              } else {
                readNext(done, from, prefetched.get(0));
              }
            });
  }

  private Future<Void> appendChunks(List<BsonDocument> docs, int from) {
    if (cancelled.getAsBoolean()) {
      return Future.failedFuture(new CancellationException("scan of " + entityName + " cancelled"));
    }
    if (from >= docs.size()) {
      return Future.succeededFuture();
    }
    int to = Math.min(docs.size(), from + chunkSize);
    Projection projection = with.entities().projection(entityName);
    if (projection == null) {
      return Future.failedFuture(new CancellationException("entity " + entityName + " deleted"));
    }
    if (!java.util.Objects.equals(projection.sourceFields(), readFields)) {
      // the shape changed under this cursor, which reads only the old shape's fields: read on
      // from the last ack with a cursor for the new ones
      return Future.failedFuture(
          new IllegalStateException(
              "the shape of "
                  + entityName
                  + " changed during its scan; reading on with its fields"));
    }
    List<OplogEntry> entries = new ArrayList<>(to - from);
    BsonValue chunkLast = null;
    JsonArray unprojectable = new JsonArray();
    for (int i = from; i < to; i++) {
      BsonDocument doc = docs.get(i);
      BsonValue id = doc.get("_id");
      chunkLast = id;
      try {
        if (!projection.matches(doc)) {
          continue; // outside the entity's filter; a re-scan's proven deletes remove it if cached
        }
        String docId = DocIds.docId(id);
        Projection.Projected p = projection.project(doc);
        if (!p.clean()) {
          with.reports().mismatches(entityName, docId, p.mismatches());
        }
        entries.add(
            new OplogEntry(Operation.Upsert, entityName, docId, p.data(), progress.epoch()));
      } catch (RuntimeException e) {
        // no retry could project it: skip it visibly instead of failing the scan forever
        unprojectable.add(
            new JsonObject()
                .put("entity", entityName)
                .put("doc_id", String.valueOf(BsonJson.toJsonValue(id)))
                .put("reason", "unprojectable: " + e));
      }
    }
    if (!unprojectable.isEmpty()) {
      with.reports().rejected(sourceName(), unprojectable);
    }
    BsonValue newLast = chunkLast;
    int count = to - from;
    return with.window()
        .submit(AppendBatch.scan(entityName, progress.epoch(), BsonJson.wrap(newLast), entries))
        .compose(
            ack -> {
              if (!ack.rejected().isEmpty()) {
                with.reports().rejected(sourceName(), ack.rejected());
              }
              progress.acked(newLast, count);
              return appendChunks(docs, to);
            });
  }

  private String sourceName() {
    Entity e = with.entities().entity(entityName);
    return e == null ? null : e.shape().sourceName();
  }
}
