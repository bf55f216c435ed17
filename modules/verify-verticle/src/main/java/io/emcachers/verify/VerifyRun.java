package io.emcachers.verify;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.BusException;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.client.BusCaller;
import io.emcachers.core.client.OplogClient;
import io.emcachers.core.messages.CacheCompareReply;
import io.emcachers.core.messages.CacheCompareRequest;
import io.emcachers.core.messages.CacheCompareRequest.SourceRow;
import io.emcachers.core.messages.CacheDigestReply;
import io.emcachers.core.messages.CacheDigestRequest;
import io.emcachers.core.messages.CacheEntityRequest;
import io.emcachers.core.messages.CacheIdsReply;
import io.emcachers.core.messages.CacheIdsRequest;
import io.emcachers.core.messages.CacheInfoReply;
import io.emcachers.core.messages.CacheLocalRepairReply;
import io.emcachers.core.messages.CacheLocalRepairRequest;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.messages.RepairReply;
import io.emcachers.core.messages.RepairRequest;
import io.emcachers.core.messages.VerifyJob;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.Operation;
import io.emcachers.core.model.Oplog;
import io.emcachers.core.projection.BsonJson;
import io.emcachers.core.projection.DocIds;
import io.emcachers.core.projection.Projection;
import io.emcachers.mongo.MongoSource;
import io.emcachers.mongo.PagedCursor;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.function.Consumer;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One verification run of one entity on this node's cache, in five logged steps (see the README's
 * "Verification and repair"): 1. entity and cache, 2. source pass (pages in {@code _id} order,
 * rate-limited, compared with the cache, bucket sums of the ids the cache has), 3. extras (bucket
 * digests, then the cache's ids of differing buckets looked up in MongoDB), 4. re-check of every
 * candidate after the cache caught up, 5. repair (only with {@code repair}). Every step runs on the
 * verifier's event loop; progress is stored after every page.
 */
final class VerifyRun {

  private static final Logger LOG = LoggerFactory.getLogger(VerifyRun.class);

  /** Doc ids per MongoDB {@code $in} lookup, re-check chunk and latest-rows request. */
  static final int LOOKUP_CHUNK = 500;

  /** Cache ids per {@code emc.cache.verify.ids} page. */
  static final int IDS_PAGE = 1000;

  /** How often the re-check polls the cache's {@code last_oplog_id}. */
  static final long CATCH_UP_POLL_MS = 50;

  /** A run stopped by {@link #stop()} (undeploy): its progress stays resumable. */
  static final class Stopped extends CancellationException {
    Stopped(String message) {
      super(message);
    }
  }

  /** What a run talks to. */
  record With(
      Vertx vertx,
      VerifyConfig config,
      OplogClient oplog,
      io.emcachers.core.client.EntitiesClient entities,
      BusCaller cache,
      MongoSource source,
      ProgressStore store,
      VerifyMetrics metrics,
      Clock clock) {}

  /** A confirmed difference: its source data (null for an extra) and the head before its read. */
  record Confirmed(String docId, String kind, JsonObject data, long headBefore) {}

  private final With with;
  private final VerifyProgress p;
  private final Consumer<VerifyProgress> onProgress;
  private volatile boolean stopping;
  private Entity entity;
  private Projection projection;
  private long sessionStartNanos;
  private long sessionDocs;
  private final List<Confirmed> confirmed = new ArrayList<>();

  VerifyRun(With with, VerifyProgress progress, Consumer<VerifyProgress> onProgress) {
    this.with = with;
    this.p = progress;
    this.onProgress = onProgress;
  }

  VerifyProgress progress() {
    return p;
  }

  void stop() {
    stopping = true;
  }

  /** Runs (or resumes) to the end; completes with the final progress (never fails). */
  Future<VerifyProgress> run() {
    long t0 = System.nanoTime();
    return step1()
        .compose(v -> VerifyProgress.PHASE_SOURCE.equals(p.phase) ? step2() : done())
        .compose(v -> VerifyProgress.PHASE_EXTRAS.equals(p.phase) ? step3() : done())
        .compose(v -> step4())
        .compose(v -> step5())
        .transform(
            ar -> {
              p.finishedAt = with.clock().instant();
              if (ar.succeeded()) {
                p.state = VerifyJob.FINISHED;
                p.phase = VerifyProgress.PHASE_DONE;
                p.step = "done";
                VerifyJob job = p.toJob(p.finishedAt);
                with.metrics().finished(p.entity, p.finishedAt.toEpochMilli(), job.durationMs());
                LOG.info(
                    "verify {} finished in {} ms: {}", p.entity, job.durationMs(), job.counts());
              } else if (ar.cause() instanceof Stopped) {
                p.state = VerifyJob.STOPPED;
                p.finishedAt = null;
                LOG.info(
                    "verify {} stopped after {} documents; it resumes from its stored progress",
                    p.entity,
                    p.docsChecked);
              } else {
                p.state = VerifyJob.FAILED;
                p.error = ar.cause().getMessage();
                LOG.warn("verify {} failed: {}", p.entity, p.error);
              }
              LOG.debug("verify {}: session took {} ms", p.entity, (System.nanoTime() - t0) / 1e6);
              onProgress.accept(p);
              return save().transform(s -> Future.succeededFuture(p));
            });
  }

  // ------------------------------------------------------------------ step 1

  private Future<Void> step1() {
    step(1, "entity and cache of this node");
    if (p.resumes > 0 || p.docsChecked > 0 || !VerifyProgress.PHASE_SOURCE.equals(p.phase)) {
      LOG.info(
          "verify {} resumes run {} at phase {} after {} documents (last _id {})",
          p.entity,
          p.id,
          p.phase,
          p.docsChecked,
          p.lastId == null ? null : p.lastId.encode());
    }
    return with.entities()
        .get(p.entity)
        .compose(
            reply -> {
              entity = reply.entity();
              if (p.epoch != 0 && p.epoch != entity.epoch()) {
                LOG.info(
                    "verify {}: epoch changed ({} -> {}): the pass starts over",
                    p.entity,
                    p.epoch,
                    entity.epoch());
                p.reset(with.config().buckets());
              }
              p.epoch = entity.epoch();
              projection = new Projection(entity.shape());
              return lastOplogId().mapEmpty();
            });
  }

  // ------------------------------------------------------------------ step 2

  private Future<Void> step2() {
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

  private void nextPage(PagedCursor<BsonDocument> cursor, Promise<Void> done) {
    if (stopping) {
      done.tryFail(new Stopped("verification of " + p.entity + " stopped"));
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
  private Future<Integer> checkPage(List<BsonDocument> docs) {
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
              onProgress.accept(p);
              return save().map(docs.size());
            });
  }

  private void checkCandidates() {
    int max = with.config().maxCandidates();
    if (p.candidates.size() > max) {
      throw new BusException(
          ErrorCodes.CONFLICT,
          "more than "
              + max
              + " documents of "
              + p.entity
              + " differ (verify.max_candidates): rebuild the cache instead"
              + " (POST /api/replication/recreate/"
              + p.entity
              + ")");
    }
  }

  /** Waits as long as the docs/s cap requires before the next page. */
  private Future<Void> throttle() {
    long rate = with.config().maxDocsPerSecond();
    if (rate <= 0 || sessionDocs == 0) {
      return Future.succeededFuture();
    }
    long dueNanos = sessionStartNanos + sessionDocs * 1_000_000_000L / rate;
    long waitMs = (dueNanos - System.nanoTime()) / 1_000_000L;
    if (waitMs < 1) {
      return Future.succeededFuture();
    }
    Promise<Void> p = Promise.promise();
    with.vertx().setTimer(waitMs, t -> p.complete());
    return p.future();
  }

  // ------------------------------------------------------------------ step 3

  private Future<Void> step3() {
    step(3, "extras: bucket digests of the cache");
    int buckets = with.config().buckets();
    return with.cache()
        .request(
            Addresses.CACHE_VERIFY_DIGEST,
            new CacheDigestRequest(p.entity, buckets),
            CacheDigestReply.class,
            local(120_000))
        .compose(
            digest -> {
              List<Integer> differing = p.sums.differing(digest.counts(), digest.digests());
              LOG.info(
                  "verify {} step 3/5: {} of {} bucket(s) differ",
                  p.entity,
                  differing.size(),
                  buckets);
              if (differing.isEmpty()) {
                return Future.succeededFuture();
              }
              return extrasPage(differing, null);
            })
        .compose(
            v -> {
              p.phase = VerifyProgress.PHASE_RECHECK;
              return save();
            });
  }

  private Future<Void> extrasPage(List<Integer> buckets, String after) {
    if (stopping) {
      return Future.failedFuture(new Stopped("verification of " + p.entity + " stopped"));
    }
    return with.cache()
        .request(
            Addresses.CACHE_VERIFY_IDS,
            new CacheIdsRequest(p.entity, with.config().buckets(), buckets, after, IDS_PAGE),
            CacheIdsReply.class,
            local(120_000))
        .compose(
            page ->
                lookupExtras(page.docIds(), 0)
                    .compose(
                        v ->
                            page.nextAfter() == null
                                ? Future.succeededFuture()
                                : extrasPage(buckets, page.nextAfter())));
  }

  private Future<Void> lookupExtras(List<String> ids, int from) {
    if (from >= ids.size()) {
      return Future.succeededFuture();
    }
    List<String> chunk = ids.subList(from, Math.min(ids.size(), from + LOOKUP_CHUNK));
    return sourceDocs(chunk)
        .compose(
            found -> {
              for (String id : chunk) {
                if (!found.containsKey(id)) {
                  p.candidates.putIfAbsent(id, VerifyProgress.EXTRA);
                }
              }
              checkCandidates();
              return lookupExtras(ids, from + LOOKUP_CHUNK);
            });
  }

  // ------------------------------------------------------------------ step 4

  private Future<Void> step4() {
    step(4, "re-check of " + p.candidates.size() + " candidate(s)");
    // steps 4 and 5 start over on a resumed run: their counts too
    p.missing = p.extra = p.different = 0;
    p.repairedOplog = p.repairedLocal = p.superseded = p.repairFailed = 0;
    p.samples.clear();
    confirmed.clear();
    if (p.candidates.isEmpty()) {
      return Future.succeededFuture();
    }
    long deadline = System.currentTimeMillis() + with.config().recheckTimeoutMs();
    List<Map.Entry<String, String>> all = new ArrayList<>(p.candidates.entrySet());
    return head()
        .compose(h -> awaitCache(h, deadline))
        .compose(v -> recheckChunk(all, 0, deadline))
        .compose(
            v -> {
              for (Confirmed c : confirmed) {
                switch (c.kind()) {
                  case VerifyProgress.MISSING -> p.missing++;
                  case VerifyProgress.EXTRA -> p.extra++;
                  default -> p.different++;
                }
                p.sample(c.docId());
              }
              with.metrics().differences(p.entity, VerifyProgress.MISSING, p.missing);
              with.metrics().differences(p.entity, VerifyProgress.EXTRA, p.extra);
              with.metrics().differences(p.entity, VerifyProgress.DIFFERENT, p.different);
              LOG.info(
                  "verify {} step 4/5: {} of {} candidate(s) confirmed: {} missing, {} extra, {}"
                      + " different",
                  p.entity,
                  confirmed.size(),
                  all.size(),
                  p.missing,
                  p.extra,
                  p.different);
              onProgress.accept(p);
              return save();
            });
  }

  private Future<Void> recheckChunk(List<Map.Entry<String, String>> all, int from, long deadline) {
    if (from >= all.size()) {
      return Future.succeededFuture();
    }
    if (stopping) {
      return Future.failedFuture(new Stopped("verification of " + p.entity + " stopped"));
    }
    List<String> ids = new ArrayList<>();
    for (int i = from; i < Math.min(all.size(), from + LOOKUP_CHUNK); i++) {
      ids.add(all.get(i).getKey());
    }
    long[] headBefore = new long[1];
    return head()
        .compose(
            h -> {
              headBefore[0] = h;
              return sourceDocs(ids);
            })
        .compose(
            found -> settle().compose(v -> head()).compose(h -> awaitCache(h, deadline)).map(found))
        .compose(
            found -> {
              List<SourceRow> present = new ArrayList<>();
              List<String> absent = new ArrayList<>();
              Map<String, JsonObject> data = new HashMap<>();
              for (String id : ids) {
                BsonDocument doc = found.get(id);
                if (doc == null) {
                  absent.add(id);
                } else {
                  JsonObject d = projection.project(doc).data();
                  data.put(id, d);
                  present.add(new SourceRow(id, d));
                }
              }
              List<Confirmed> found2 = new ArrayList<>();
              return compare(present)
                  .compose(
                      reply -> {
                        long hb = headBefore[0];
                        reply
                            .missing()
                            .forEach(
                                id ->
                                    found2.add(
                                        new Confirmed(
                                            id, VerifyProgress.MISSING, data.get(id), hb)));
                        reply
                            .different()
                            .forEach(
                                id ->
                                    found2.add(
                                        new Confirmed(
                                            id, VerifyProgress.DIFFERENT, data.get(id), hb)));
                        return cachedIds(absent);
                      })
                  .compose(
                      cached -> {
                        cached.forEach(
                            id ->
                                found2.add(
                                    new Confirmed(id, VerifyProgress.EXTRA, null, headBefore[0])));
                        return dropChanged(found2, headBefore[0]);
                      })
                  .compose(
                      stable -> {
                        confirmed.addAll(stable);
                        return recheckChunk(all, from + LOOKUP_CHUNK, deadline);
                      });
            });
  }

  /**
   * Leaves out the documents with an oplog row newer than {@code headBefore}: they changed after
   * the re-check's read began (so the read and the cache saw different moments), and the normal
   * replication brings the change. Counted {@code superseded}.
   */
  private Future<List<Confirmed>> dropChanged(List<Confirmed> found, long headBefore) {
    if (found.isEmpty()) {
      return Future.succeededFuture(found);
    }
    return with.oplog()
        .latest(p.entity, found.stream().map(Confirmed::docId).toList())
        .map(
            latest -> {
              Set<String> newer = new HashSet<>();
              latest.rows().stream()
                  .filter(r -> r.id() > headBefore)
                  .forEach(r -> newer.add(r.docId()));
              p.superseded += newer.size();
              return found.stream().filter(c -> !newer.contains(c.docId())).toList();
            });
  }

  // ------------------------------------------------------------------ step 5

  private Future<Void> step5() {
    if (!p.repair) {
      step(5, "no repair (repair: false)");
      return Future.succeededFuture();
    }
    step(5, "repair of " + confirmed.size() + " difference(s)");
    if (confirmed.isEmpty()) {
      return Future.succeededFuture();
    }
    Map<Long, List<Confirmed>> byHead = new LinkedHashMap<>();
    confirmed.forEach(c -> byHead.computeIfAbsent(c.headBefore(), k -> new ArrayList<>()).add(c));
    Future<Void> chain = Future.succeededFuture();
    for (Map.Entry<Long, List<Confirmed>> e : byHead.entrySet()) {
      chain = chain.compose(v -> repairGroup(e.getKey(), e.getValue()));
    }
    return chain.compose(
        v -> {
          with.metrics().repaired(p.entity, "oplog", p.repairedOplog);
          with.metrics().repaired(p.entity, "local", p.repairedLocal);
          LOG.info(
              "verify {} step 5/5: {} repaired through the oplog, {} on this node, {} superseded,"
                  + " {} failed",
              p.entity,
              p.repairedOplog,
              p.repairedLocal,
              p.superseded,
              p.repairFailed);
          onProgress.accept(p);
          return Future.succeededFuture();
        });
  }

  /**
   * Node-local damage first: the latest oplog rows of the documents are restored in the file (never
   * above its last_oplog_id); whatever still differs from the source afterwards is the oplog's own
   * difference and gets a synthetic row, compare-and-set against {@code headBefore}.
   */
  private Future<Void> repairGroup(long headBefore, List<Confirmed> all) {
    List<String> ids = all.stream().map(Confirmed::docId).toList();
    List<Confirmed> group = new ArrayList<>();
    return with.oplog()
        .latest(p.entity, ids)
        .compose(
            latest -> {
              // a row newer than the re-check's read: the document changed since, the normal
              // replication brings it (and a repair could overwrite it): superseded
              Set<String> newer = new HashSet<>();
              List<Oplog> rows = new ArrayList<>();
              for (Oplog row : latest.rows()) {
                if (row.id() > headBefore) {
                  newer.add(row.docId());
                } else {
                  rows.add(row);
                }
              }
              for (Confirmed c : all) {
                if (newer.contains(c.docId())) {
                  p.superseded++;
                } else {
                  group.add(c);
                }
              }
              Future<?> local =
                  rows.isEmpty()
                      ? Future.succeededFuture()
                      : with.cache()
                          .request(
                              Addresses.CACHE_VERIFY_REPAIR_LOCAL,
                              new CacheLocalRepairRequest(p.entity, rows),
                              CacheLocalRepairReply.class,
                              local(60_000));
              return local.compose(v -> stillDiffering(group));
            })
        .compose(
            remaining -> {
              p.repairedLocal += group.size() - remaining.size();
              if (remaining.isEmpty()) {
                return Future.succeededFuture();
              }
              List<OplogEntry> entries = new ArrayList<>(remaining.size());
              for (Confirmed c : remaining) {
                entries.add(
                    VerifyProgress.EXTRA.equals(c.kind())
                        ? new OplogEntry(Operation.Delete, p.entity, c.docId(), null, p.epoch)
                        : new OplogEntry(Operation.Upsert, p.entity, c.docId(), c.data(), p.epoch));
              }
              return with.oplog()
                  .repair(
                      new RepairRequest(
                          p.entity,
                          headBefore,
                          p.epoch,
                          entries,
                          "verification " + p.id + " on " + p.node),
                      60_000)
                  .map(
                      reply -> {
                        count(reply);
                        return null;
                      });
            });
  }

  private void count(RepairReply reply) {
    p.repairedOplog += reply.applied().size();
    p.superseded += reply.skipped().size();
    p.repairFailed += reply.rejected().size();
    for (Object o : reply.rejected()) {
      JsonObject r = o instanceof JsonObject j ? j : new JsonObject();
      LOG.warn(
          "verify {}: repair of _id {} rejected by the oplog: {}",
          p.entity,
          r.getString("doc_id"),
          r.getString("reason"));
    }
  }

  /** The confirmed differences the cache still has (compared with the source read again). */
  private Future<List<Confirmed>> stillDiffering(List<Confirmed> group) {
    List<SourceRow> present = new ArrayList<>();
    List<String> extras = new ArrayList<>();
    for (Confirmed c : group) {
      if (VerifyProgress.EXTRA.equals(c.kind())) {
        extras.add(c.docId());
      } else {
        present.add(new SourceRow(c.docId(), c.data()));
      }
    }
    return compare(present)
        .compose(
            reply -> {
              Set<String> differ = new HashSet<>(reply.missing());
              differ.addAll(reply.different());
              return cachedIds(extras)
                  .map(
                      cached -> {
                        differ.addAll(cached);
                        return group.stream().filter(c -> differ.contains(c.docId())).toList();
                      });
            });
  }

  // ------------------------------------------------------------------ helpers

  private Future<CacheCompareReply> compare(List<SourceRow> rows) {
    if (rows.isEmpty()) {
      return Future.succeededFuture(new CacheCompareReply(0, 0, List.of(), List.of()));
    }
    return with.cache()
        .request(
            Addresses.CACHE_VERIFY_COMPARE,
            new CacheCompareRequest(p.entity, rows),
            CacheCompareReply.class,
            local(60_000));
  }

  /**
   * Which of {@code ids} the cache holds: a compare with empty data answers {@code missing} for the
   * ids it does not hold (matched or different means it holds a row).
   */
  private Future<List<String>> cachedIds(List<String> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    List<SourceRow> probes = ids.stream().map(id -> new SourceRow(id, new JsonObject())).toList();
    return compare(probes)
        .map(
            reply -> {
              Set<String> missing = new HashSet<>(reply.missing());
              return ids.stream().filter(id -> !missing.contains(id)).toList();
            });
  }

  /** The source documents of {@code ids} that exist, by doc id ({@code _id $in}). */
  private Future<Map<String, BsonDocument>> sourceDocs(List<String> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    BsonArray in = new BsonArray();
    ids.forEach(id -> in.add(DocIds.toBson(id)));
    PagedCursor<BsonDocument> cursor =
        with.source()
            .cursor(
                entity.shape().sourceName(),
                new BsonDocument("_id", new BsonDocument("$in", in)),
                new BsonDocument("_id", new BsonInt32(1)),
                ids.size());
    Map<String, BsonDocument> out = new HashMap<>();
    return readAll(cursor, ids.size() + 1, out).onComplete(ar -> cursor.close());
  }

  private Future<Map<String, BsonDocument>> readAll(
      PagedCursor<BsonDocument> cursor, int page, Map<String, BsonDocument> into) {
    return cursor
        .next(page)
        .compose(
            docs -> {
              docs.forEach(d -> into.put(DocIds.docId(d.get("_id")), d));
              return docs.size() < page
                  ? Future.succeededFuture(into)
                  : readAll(cursor, page, into);
            });
  }

  /** The oplog head (a read that returns no rows). */
  private Future<Long> head() {
    return with.oplog().read(0, 1, List.of()).map(r -> r.headId());
  }

  private Future<Long> lastOplogId() {
    return with.cache()
        .request(
            Addresses.CACHE_INFO,
            new CacheEntityRequest(p.entity),
            CacheInfoReply.class,
            local(30_000))
        .map(
            info -> {
              JsonObject e =
                  info.info().getJsonObject("entities", new JsonObject()).getJsonObject(p.entity);
              if (e == null || !e.getBoolean("exists", true)) {
                throw BusException.notFound("no cache of " + p.entity + " on this node");
              }
              return e.getLong("last_oplog_id", 0L);
            });
  }

  /**
   * Waits until the cache holds every row of the entity up to oplog id {@code head}: its
   * last_oplog_id reaches {@code head}, or the entity has no row between the two (last_oplog_id
   * only moves with the entity's own rows). Fails at {@code deadline}.
   */
  private Future<Void> awaitCache(long head, long deadline) {
    return lastOplogId()
        .compose(
            last ->
                last >= head
                    ? Future.succeededFuture(last)
                    : with.oplog()
                        .read(last, 1, List.of(p.entity))
                        .map(
                            r ->
                                r.rows().isEmpty() || r.rows().get(0).id() > head
                                    ? Long.MAX_VALUE
                                    : last))
        .compose(
            last -> {
              if (last >= head) {
                return Future.succeededFuture();
              }
              if (stopping) {
                return Future.failedFuture(new Stopped("verification of " + p.entity + " stopped"));
              }
              if (System.currentTimeMillis() >= deadline) {
                return Future.failedFuture(
                    new BusException(
                        ErrorCodes.TIMEOUT,
                        "the cache of "
                            + p.entity
                            + " did not reach oplog id "
                            + head
                            + " within verify.recheck_timeout_ms (at "
                            + last
                            + "): the differences could not be re-checked"));
              }
              Promise<Void> wait = Promise.promise();
              with.vertx().setTimer(CATCH_UP_POLL_MS, t -> wait.complete());
              return wait.future().compose(v -> awaitCache(head, deadline));
            });
  }

  /**
   * Waits {@code verify.settle_ms} after a source read, so a change written to MongoDB just before
   * the read has reached the oplog (listener lag) and the cache before the comparison.
   */
  private Future<Void> settle() {
    long ms = with.config().settleMs();
    if (ms <= 0) {
      return Future.succeededFuture();
    }
    Promise<Void> wait = Promise.promise();
    with.vertx().setTimer(ms, t -> wait.complete());
    return wait.future();
  }

  private DeliveryOptions local(long timeoutMs) {
    return new DeliveryOptions().setLocalOnly(true).setSendTimeout(timeoutMs);
  }

  private Future<Void> save() {
    return with.store().save(p.toJson(), p.entity);
  }

  private static Future<Void> done() {
    return Future.succeededFuture();
  }

  private void step(int n, String what) {
    p.step = n + "/5 " + what;
    LOG.info("verify {} step {}/5: {}", p.entity, n, what);
  }
}
