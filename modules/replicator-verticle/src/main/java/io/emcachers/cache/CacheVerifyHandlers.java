package io.emcachers.cache;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.ConsumerGroup;
import io.emcachers.core.messages.CacheCompareReply;
import io.emcachers.core.messages.CacheCompareRequest;
import io.emcachers.core.messages.CacheDigestReply;
import io.emcachers.core.messages.CacheDigestRequest;
import io.emcachers.core.messages.CacheIdsReply;
import io.emcachers.core.messages.CacheIdsRequest;
import io.emcachers.core.messages.CacheLocalRepairReply;
import io.emcachers.core.messages.CacheLocalRepairRequest;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.util.BitSet;
import java.util.concurrent.Callable;

/**
 * The node-local verification addresses of the cache-db manager (issue 11): {@code
 * emc.cache.verify.compare|digest|ids|repair-local}. Checks the bounds (BAD_REQUEST past them),
 * runs {@link CacheVerify} on the worker pool; storage failures become bus codes through {@link
 * CacheErrors} (no cache of the entity on this node → NOT_FOUND).
 */
final class CacheVerifyHandlers {

  /** Source rows per compare request, and oplog rows per local repair. */
  static final int MAX_ROWS = 5000;

  /** Buckets of a digest or ids request. */
  static final int MAX_BUCKETS = 65536;

  /** Doc ids per ids page. */
  static final int MAX_IDS = 5000;

  private final CacheCompare compare;
  private final CacheScans scans;
  private final CacheLocalRepair localRepair;
  private final WorkerExecutor workers;

  CacheVerifyHandlers(CacheRegistry registry, WorkerExecutor workers) {
    this.compare = new CacheCompare(registry);
    this.scans = new CacheScans(registry);
    this.localRepair = new CacheLocalRepair(registry);
    this.workers = workers;
  }

  /** Registers the four verification consumers (node-local) in {@code consumers}. */
  static void register(ConsumerGroup consumers, CacheRegistry registry, WorkerExecutor workers) {
    CacheVerifyHandlers h = new CacheVerifyHandlers(registry, workers);
    consumers
        .handleLocal(
            Addresses.CACHE_VERIFY_COMPARE,
            CacheCompareRequest.class,
            CacheErrors.mapped(h::compare))
        .handleLocal(
            Addresses.CACHE_VERIFY_DIGEST, CacheDigestRequest.class, CacheErrors.mapped(h::digest))
        .handleLocal(Addresses.CACHE_VERIFY_IDS, CacheIdsRequest.class, CacheErrors.mapped(h::ids))
        .handleLocal(
            Addresses.CACHE_VERIFY_REPAIR_LOCAL,
            CacheLocalRepairRequest.class,
            CacheErrors.mapped(h::repairLocal));
  }

  Future<CacheCompareReply> compare(CacheCompareRequest req) {
    String name = CacheRegistry.requireName(req.entity());
    if (req.rows().size() > MAX_ROWS) {
      throw CacheException.invalid(
          "at most " + MAX_ROWS + " rows per compare request, got " + req.rows().size());
    }
    return blocking(() -> compare.compare(name, req.rows()));
  }

  Future<CacheDigestReply> digest(CacheDigestRequest req) {
    String name = CacheRegistry.requireName(req.entity());
    int buckets = checkBuckets(req.buckets());
    return blocking(() -> scans.digest(name, buckets));
  }

  Future<CacheIdsReply> ids(CacheIdsRequest req) {
    String name = CacheRegistry.requireName(req.entity());
    int buckets = checkBuckets(req.buckets());
    if (req.limit() < 1 || req.limit() > MAX_IDS) {
      throw CacheException.invalid("limit must be 1.." + MAX_IDS + ", got " + req.limit());
    }
    if (req.bucketIds().isEmpty()) {
      throw CacheException.invalid("bucket_ids must name at least one bucket");
    }
    BitSet wanted = new BitSet(buckets);
    for (Integer b : req.bucketIds()) {
      if (b == null || b < 0 || b >= buckets) {
        throw CacheException.invalid("bucket id " + b + " is not in 0.." + (buckets - 1));
      }
      wanted.set(b);
    }
    return blocking(
        () ->
            scans.ids(
                name, buckets, wanted, req.afterDocId(), req.limit(), CacheScans.IDS_SCAN_BUDGET));
  }

  Future<CacheLocalRepairReply> repairLocal(CacheLocalRepairRequest req) {
    String name = CacheRegistry.requireName(req.entity());
    if (req.rows().size() > MAX_ROWS) {
      throw CacheException.invalid(
          "at most " + MAX_ROWS + " rows per local repair, got " + req.rows().size());
    }
    return blocking(() -> localRepair.repairLocal(name, req.rows()));
  }

  private static int checkBuckets(int buckets) {
    if (buckets < 1 || buckets > MAX_BUCKETS) {
      throw CacheException.invalid("buckets must be 1.." + MAX_BUCKETS + ", got " + buckets);
    }
    return buckets;
  }

  private <T> Future<T> blocking(Callable<T> work) {
    return workers.executeBlocking(work, false);
  }
}
