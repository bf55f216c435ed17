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
 * candidates. Pipelined ({@link #pump}): the next page is read while up to {@link #PAGES_AHEAD} are
 * projected, compared or wait to be applied; progress is stored behind the pass, at most every
 * {@code verify.progress_interval_ms} ({@link #saveBehind}).
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
    this.cursor = cursor;
    pump();
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
   * Pages read and not yet applied, at most: the next page is read while up to this many are
   * projected, compared (each its own request, so they run on as many cache workers) or wait for
   * their turn to be applied.
   */
  static final int PAGES_AHEAD = 3;

  private final Promise<Void> done = Promise.promise();
  private PagedCursor<BsonDocument> cursor;
  private Future<Void> lastApplied = Future.succeededFuture();
  private int unapplied;
  private boolean fetching;
  private boolean ended;
  private Throwable halted;

  /**
   * Keeps one read outstanding while fewer than {@link #PAGES_AHEAD} pages wait: a page's read
   * never waits for the compare of the page before it, only for room. Pages are applied strictly in
   * order ({@code lastApplied} chains them), so the progress only ever covers pages compared and
   * applied in order. Runs on the verifier's context.
   */
  void pump() {
    if (done.future().isComplete() || fetching) {
      return;
    }
    if (halted == null && (c.stopping || saveFailure != null)) {
      halted = c.stopping ? stopped() : saveFailure;
    }
    if (halted != null || ended) {
      if (unapplied == 0) { // the pages before are applied: the progress covers them
        if (halted != null) {
          done.tryFail(halted);
        } else {
          done.tryComplete();
        }
      }
      return;
    }
    if (unapplied >= PAGES_AHEAD) {
      return;
    }
    fetching = true;
    fetch(cursor)
        .onComplete(
            ar -> {
              fetching = false;
              if (ar.failed()) {
                halted = halted == null ? ar.cause() : halted;
                pump();
                return;
              }
              List<BsonDocument> docs = ar.result();
              if (docs.size() < with.config().pageDocs()) {
                ended = true;
              }
              if (docs.isEmpty() || c.stopping || halted != null) {
                pump();
                return;
              }
              unapplied++;
              Future<Void> previous = lastApplied;
              Promise<Void> applied = Promise.promise();
              lastApplied = applied.future();
              applied
                  .future()
                  .onComplete(
                      page -> {
                        unapplied--;
                        if (page.failed()) {
                          done.tryFail(page.cause());
                        } else {
                          pump();
                        }
                      });
              pump(); // the next read goes out before this page is projected
              checkPage(docs, previous).onComplete(applied);
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
