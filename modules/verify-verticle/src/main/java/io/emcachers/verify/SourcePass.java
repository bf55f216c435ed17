package io.emcachers.verify;

import io.emcachers.core.messages.CacheCompareRequest.SourceRow;
import io.emcachers.core.projection.BsonJson;
import io.emcachers.core.projection.DocIds;
import io.emcachers.mongo.IdOrder;
import io.emcachers.mongo.PagedCursor;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Step 2: the source pass. The collection in {@code _id} order after the stored last {@code _id},
 * pages of {@code verify.page_docs} at most {@code verify.max_docs_per_second}, each projected and
 * compared with the cache; the ids the cache has go into the bucket sums, missing and different ids
 * become candidates; progress is stored after every page.
 */
final class SourcePass extends RunStep {

  private static final Logger LOG = LoggerFactory.getLogger(SourcePass.class);

  private long sessionStartNanos;
  private long sessionDocs;

  SourcePass(RunContext c) {
    super(c);
  }

  @Override
  Future<Void> run() {
    step(2, "source pass over " + entity.shape().sourceName());
    sessionStartNanos = System.nanoTime();
    sessionDocs = 0;
    int page = with.config().pageDocs();
    PagedCursor<BsonDocument> cursor =
        with.source()
            .cursor(
                entity.shape().sourceName(),
                IdOrder.filterAfter(BsonJson.unwrap(p.lastId)),
                new BsonDocument("_id", new BsonInt32(1)),
                page);
    Promise<Void> done = Promise.promise();
    nextPage(cursor, done);
    return done.future()
        .onComplete(ar -> cursor.close())
        .compose(
            v -> {
              p.phase = VerifyProgress.PHASE_EXTRAS;
              LOG.info(
                  "verify {} step 2/5: {} documents checked, {} matched, {} candidate(s)",
                  p.entity,
                  p.docsChecked,
                  p.matched,
                  p.candidates.size());
              return save();
            });
  }

  void nextPage(PagedCursor<BsonDocument> cursor, Promise<Void> done) {
    if (c.stopping) {
      done.tryFail(stopped());
      return;
    }
    int page = with.config().pageDocs();
    throttle()
        .compose(v -> head())
        .compose(
            h -> {
              p.pageHead = h;
              return cursor.next(page);
            })
        .compose(docs -> docs.isEmpty() ? Future.succeededFuture(0) : checkPage(docs))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                done.tryFail(ar.cause());
              } else if (ar.result() < page) {
                done.tryComplete();
              } else {
                nextPage(cursor, done);
              }
            });
  }

  /** Compares one page; stores progress; returns the page's size. */
  Future<Integer> checkPage(List<BsonDocument> docs) {
    List<SourceRow> rows = new ArrayList<>(docs.size());
    BsonValue last = null;
    for (BsonDocument doc : docs) {
      BsonValue id = doc.get("_id");
      last = id;
      try {
        rows.add(new SourceRow(DocIds.docId(id), projection.project(doc).data()));
      } catch (RuntimeException e) {
        LOG.warn(
            "verify {}: document {} cannot be projected, skipped: {}", p.entity, id, e.toString());
      }
    }
    BsonValue pageLast = last;
    return compare(rows)
        .compose(
            reply -> {
              Set<String> missing = new HashSet<>(reply.missing());
              for (SourceRow r : rows) {
                if (!missing.contains(r.docId())) {
                  p.sums.add(r.docId());
                }
              }
              reply.missing().forEach(id -> p.candidates.put(id, VerifyProgress.MISSING));
              reply.different().forEach(id -> p.candidates.put(id, VerifyProgress.DIFFERENT));
              p.docsChecked += docs.size();
              p.matched += reply.matched();
              sessionDocs += docs.size();
              with.metrics().docsChecked(p.entity, docs.size());
              p.lastId = BsonJson.wrap(pageLast);
              checkCandidates();
              c.onProgress.accept(p);
              return save().map(docs.size());
            });
  }

  /** Waits as long as the docs/s cap requires before the next page. */
  Future<Void> throttle() {
    long rate = with.config().maxDocsPerSecond();
    if (rate <= 0 || sessionDocs == 0) {
      return Future.succeededFuture();
    }
    long dueNanos = sessionStartNanos + sessionDocs * 1_000_000_000L / rate;
    long waitMs = (dueNanos - System.nanoTime()) / 1_000_000L;
    if (waitMs < 1) {
      return Future.succeededFuture();
    }
    Promise<Void> wait = Promise.promise();
    with.vertx().setTimer(waitMs, t -> wait.complete());
    return wait.future();
  }
}
