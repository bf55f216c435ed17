package io.emcachers.verify;

import io.emcachers.core.messages.CacheCompareReply;
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
 * only the fields the shape and its filter read ({@code Projection#sourceFields}), pages of {@code
 * verify.page_docs} at most {@code verify.max_docs_per_second}, each projected and compared with
 * the cache; the ids the cache has go into the bucket sums, missing and different ids become
 * candidates. The next page is read while one is compared; progress is stored behind the pass, at
 * most every {@code verify.progress_interval_ms} ({@link #saveBehind}).
 */
final class SourcePass extends RunStep {

  private static final Logger LOG = LoggerFactory.getLogger(SourcePass.class);

  private long sessionStartNanos;

  /** Documents read from the source in this session (the docs/s cap counts them). */
  private long sessionDocs;

  private boolean saving;
  private boolean savedOnce;
  private long lastSaveNanos;
  private Throwable saveFailure;

  SourcePass(RunContext c) {
    super(c);
  }

  @Override
  Future<Void> run() {
    step(2, "source pass over " + entity.shape().sourceName());
    sessionStartNanos = System.nanoTime();
    sessionDocs = 0;
    PagedCursor<BsonDocument> cursor =
        with.source()
            .cursor(
                entity.shape().sourceName(),
                IdOrder.filterAfter(BsonJson.unwrap(p.lastId)),
                new BsonDocument("_id", new BsonInt32(1)),
                projection.sourceFields(),
                with.config().pageDocs());
    Promise<Void> done = Promise.promise();
    nextPage(cursor, fetch(cursor), Future.succeededFuture(), done);
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

  /**
   * Checks the page {@code pending} brings. Pipelined: while a page is compared, the next one is
   * read, projected and its compare sent; results are applied strictly in page order ({@code
   * previous} is the previous page's), so the progress only ever covers pages compared and applied
   * in order. At most three pages in memory (applying, comparing, reading).
   */
  void nextPage(
      PagedCursor<BsonDocument> cursor,
      Future<List<BsonDocument>> pending,
      Future<Void> previous,
      Promise<Void> done) {
    int page = with.config().pageDocs();
    List<Future<List<BsonDocument>>> next = new ArrayList<>(1);
    List<Future<Void>> applied = new ArrayList<>(1);
    pending
        .compose(
            docs -> {
              if (c.stopping) {
                return previous.compose(v -> Future.failedFuture(stopped()));
              }
              if (saveFailure != null) {
                return previous.compose(v -> Future.failedFuture(saveFailure));
              }
              if (docs.size() >= page) {
                next.add(fetch(cursor));
              }
              applied.add(docs.isEmpty() ? previous : checkPage(docs, previous));
              // the next page goes on once the previous one is applied: two compares at most
              return next.isEmpty() ? applied.get(0) : previous;
            })
        .onComplete(
            ar -> {
              if (ar.failed()) {
                done.tryFail(ar.cause());
              } else if (next.isEmpty()) {
                done.tryComplete();
              } else {
                nextPage(cursor, next.get(0), applied.get(0), done);
              }
            });
  }

  /** The next page, once the docs/s cap allows it. */
  Future<List<BsonDocument>> fetch(PagedCursor<BsonDocument> cursor) {
    return throttle()
        .compose(v -> cursor.next(with.config().pageDocs()))
        .onSuccess(docs -> sessionDocs += docs.size());
  }

  /**
   * Stores the progress behind the pass: one write at a time, at most every {@code
   * verify.progress_interval_ms}; the pass does not wait for it. Writes run in order on the
   * verifier's context, so the final save of a stop, a failure or the pass's end lands last. A
   * failed write fails the pass at its next page.
   */
  void saveBehind() {
    long now = System.nanoTime();
    long interval = with.config().progressIntervalMs() * 1_000_000L;
    if (saving || (savedOnce && now - lastSaveNanos < interval)) {
      return;
    }
    saving = true;
    savedOnce = true;
    lastSaveNanos = now;
    save()
        .onComplete(
            ar -> {
              saving = false;
              if (ar.failed()) {
                saveFailure = ar.cause();
              }
            });
  }

  /**
   * Projects one page and sends its compare now; applies the reply (counts, sums, candidates, last
   * {@code _id}, progress) once {@code previous} (the page before) is applied.
   */
  Future<Void> checkPage(List<BsonDocument> docs, Future<Void> previous) {
    List<SourceRow> rows = new ArrayList<>(docs.size());
    BsonValue last = null;
    for (BsonDocument doc : docs) {
      BsonValue id = doc.get("_id");
      last = id;
      try {
        if (!projection.matches(doc)) {
          continue; // outside the entity's filter: absent from the entity (a cached row is extra)
        }
        rows.add(new SourceRow(DocIds.docId(id), projection.project(doc).data()));
      } catch (RuntimeException e) {
        LOG.warn(
            "verify {}: document {} cannot be projected, skipped: {}", p.entity, id, e.toString());
      }
    }
    BsonValue pageLast = last;
    Future<CacheCompareReply> compared = compare(rows);
    return previous
        .compose(v -> compared)
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
              with.metrics().docsChecked(p.entity, docs.size());
              p.lastId = BsonJson.wrap(pageLast);
              checkCandidates();
              c.onProgress.accept(p);
              saveBehind();
              return Future.<Void>succeededFuture();
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
