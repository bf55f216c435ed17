package io.emcachers.verify;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.BusException;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.CacheCompareReply;
import io.emcachers.core.messages.CacheCompareRequest;
import io.emcachers.core.messages.CacheCompareRequest.SourceRow;
import io.emcachers.core.messages.CacheEntityRequest;
import io.emcachers.core.messages.CacheInfoReply;
import io.emcachers.core.model.Entity;
import io.emcachers.core.projection.DocIds;
import io.emcachers.core.projection.Projection;
import io.emcachers.mongo.PagedCursor;
import io.emcachers.verify.VerifyRun.Stopped;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every step of a {@link VerifyRun} shares: the run's collaborators, its progress, the entity
 * snapshot of step 1, and the calls the steps make (cache compare through the write mapping, source
 * lookups by {@code _id}, the oplog head, the cache's catch-up, progress saves). Steps run on the
 * verifier's event loop, one after the other.
 */
abstract class RunStep {

  private static final Logger LOG = LoggerFactory.getLogger(RunStep.class);

  /** Doc ids per MongoDB {@code $in} lookup, re-check chunk and latest-rows request. */
  static final int LOOKUP_CHUNK = 500;

  /** Cache ids per {@code emc.cache.verify.ids} page. */
  static final int IDS_PAGE = 1000;

  /** How often the re-check polls the cache's {@code last_oplog_id}. */
  static final long CATCH_UP_POLL_MS = 50;

  /** The state the steps of one run share. */
  static final class RunContext {
    final VerifyRun.With with;
    final VerifyProgress p;
    final Consumer<VerifyProgress> onProgress;
    volatile boolean stopping;
    Entity entity;
    Projection projection;

    /** The differences step 4 confirmed (bounded by {@code verify.max_candidates}). */
    final List<Confirmed> confirmed = new ArrayList<>();

    RunContext(VerifyRun.With with, VerifyProgress p, Consumer<VerifyProgress> onProgress) {
      this.with = with;
      this.p = p;
      this.onProgress = onProgress;
    }
  }

  /** A confirmed difference: its source data (null for an extra) and the head before its read. */
  record Confirmed(String docId, String kind, JsonObject data, long headBefore) {}

  final RunContext c;
  final VerifyRun.With with;
  final VerifyProgress p;
  final Entity entity;
  final Projection projection;

  RunStep(RunContext c) {
    this.c = c;
    this.with = c.with;
    this.p = c.p;
    this.entity = c.entity;
    this.projection = c.projection;
  }

  /**
   * Runs {@code tasks} in {@code parallel} lanes, each lane one after the other (task i in lane i
   * mod parallel); fails with the first failure.
   */
  static Future<Void> inParallel(List<Supplier<Future<Void>>> tasks, int parallel) {
    List<Future<Void>> lanes = new ArrayList<>();
    for (int lane = 0; lane < Math.min(parallel, tasks.size()); lane++) {
      Future<Void> chain = Future.succeededFuture();
      for (int i = lane; i < tasks.size(); i += parallel) {
        Supplier<Future<Void>> task = tasks.get(i);
        chain = chain.compose(v -> task.get());
      }
      lanes.add(chain);
    }
    return Future.all(lanes).mapEmpty();
  }

  /** Runs this step. */
  abstract Future<Void> run();

  Stopped stopped() {
    return new Stopped("verification of " + p.entity + " stopped");
  }

  void checkCandidates() {
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

  Future<CacheCompareReply> compare(List<SourceRow> rows) {
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
  Future<List<String>> cachedIds(List<String> ids) {
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
  Future<Map<String, BsonDocument>> sourceDocs(List<String> ids) {
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

  Future<Map<String, BsonDocument>> readAll(
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
  Future<Long> head() {
    return with.oplog().read(0, 1, List.of()).map(r -> r.headId());
  }

  Future<Long> lastOplogId() {
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
   * only moves with the entity's own rows; read with {@code emc.oplog.read.compacted}, which never
   * fails COMPACTED for an old last_oplog_id). Fails at {@code deadline}.
   */
  Future<Void> awaitCache(long head, long deadline) {
    return lastOplogId()
        .compose(
            last ->
                last >= head
                    ? Future.succeededFuture(last)
                    : with.oplog()
                        .readCompacted(last, 1, List.of(p.entity))
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
              if (c.stopping) {
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
  Future<Void> settle() {
    long ms = with.config().settleMs();
    if (ms <= 0) {
      return Future.succeededFuture();
    }
    Promise<Void> wait = Promise.promise();
    with.vertx().setTimer(ms, t -> wait.complete());
    return wait.future();
  }

  DeliveryOptions local(long timeoutMs) {
    return new DeliveryOptions().setLocalOnly(true).setSendTimeout(timeoutMs);
  }

  Future<Void> save() {
    return with.store().save(p.toJson(), p.entity);
  }

  static Future<Void> done() {
    return Future.succeededFuture();
  }

  void step(int n, String what) {
    p.step = n + "/5 " + what;
    LOG.info("verify {} step {}/5: {}", p.entity, n, what);
  }
}
