package io.emcachers.core.bus;

/**
 * Every event-bus address of emcachers. Verticles talk only through these; the message record each
 * address carries is named next to it.
 */
public final class Addresses {

  private Addresses() {}

  // ---- oplog verticle (leader only) ----
  /**
   * Request {@code AppendBatch} → reply {@code AppendResult}: rows and resume token in one
   * transaction.
   */
  public static final String OPLOG_APPEND = "emc.oplog.append";

  /**
   * Request {@code ResumeTokenRequest} → reply {@code ResumeTokenReply} (empty map → initial scan).
   */
  public static final String OPLOG_RESUME_TOKEN = "emc.oplog.resume-token";

  /** Publish {@code OplogAppended}: the new head id after each commit. */
  public static final String OPLOG_APPENDED = "emc.oplog.appended";

  /**
   * Request {@code OplogReadRequest} → reply {@code OplogReadReply}: rows after an id, id order.
   */
  public static final String OPLOG_READ = "emc.oplog.read";

  /** Request {@code ScanStateRequest} → reply {@code ScanStateReply}: persisted scan progress. */
  public static final String OPLOG_SCAN_STATE = "emc.oplog.scan.state";

  /**
   * Request {@code ScanBeginRequest} → reply {@code EntityReply}: a new scan attempt (new epoch,
   * status scanning).
   */
  public static final String OPLOG_SCAN_BEGIN = "emc.oplog.scan.begin";

  /**
   * Request {@code ScanEndRequest} → reply {@code ScanEndReply}: staged rows moved behind scan
   * rows, entity live.
   */
  public static final String OPLOG_SCAN_END = "emc.oplog.scan.end";

  /**
   * Request {@code RepairRequest} → reply {@code RepairReply} (leader only): synthetic repair rows
   * for the documents a verification found differing, each written only if no row of the document
   * is newer than the request's {@code head_before} (checked in the same transaction, on the single
   * writer). NOT_FOUND for an unknown/deleted entity, CONFLICT when it is not live, STALE for
   * another epoch.
   */
  public static final String OPLOG_REPAIR = "emc.oplog.repair";

  /**
   * Request {@code LatestRowsRequest} → reply {@code LatestRowsReply} (every node, read pool): the
   * highest-id row of each given doc id of one entity. Reads the entity's rows (no doc-id index):
   * for the few documents a verification found differing.
   */
  public static final String OPLOG_LATEST = "emc.oplog.latest";

  /** Request {@code HealthRequest} → reply {@code HealthReply}: leader/standby, last error. */
  public static final String OPLOG_HEALTH = "emc.oplog.health";

  /**
   * Node-local ({@code localConsumer}) {@code HealthRequest} → {@code HealthReply} with state
   * {@code leader} or {@code standby}: the listener streams only while its node's oplog verticle
   * leads, so two listeners never interleave appends.
   */
  public static final String OPLOG_LEADER_LOCAL = "emc.oplog.leader.local";

  /**
   * Request {@code CompactedReadRequest} → reply {@code OplogReadReply} (every node, read pool):
   * rows after an id like {@code emc.oplog.read}, but never COMPACTED: the compacted state, for a
   * node bootstrapping or rebuilding from {@code after = 0}.
   */
  public static final String OPLOG_READ_COMPACTED = "emc.oplog.read.compacted";

  /**
   * Request {@code ReplicaReport} → reply {@code ReplicaReportReply} (every node, read pool): a
   * replicator node registers or refreshes its applied offset; the reply carries the horizons and
   * whether the node must rebuild.
   */
  public static final String OPLOG_REPLICA_REPORT = "emc.oplog.replica.report";

  /** Request {@code ReplicaListRequest} → reply {@code ReplicaListReply}: the replica registry. */
  public static final String OPLOG_REPLICA_LIST = "emc.oplog.replica.list";

  /**
   * Request {@code ReplicaRemoveRequest} → reply {@code ReplicaRemoveReply}: forget a gone node.
   */
  public static final String OPLOG_REPLICA_REMOVE = "emc.oplog.replica.remove";

  /**
   * Request {@code CompactRequest} → reply {@code CompactionReply} (leader only): a compaction run
   * now (joins one in progress).
   */
  public static final String OPLOG_COMPACT = "emc.oplog.compact";

  /**
   * Request {@code OplogStatsRequest} → reply {@code OplogStatsReply} (every node): rows per
   * entity, bytes, horizons, last compaction, replicas.
   */
  public static final String OPLOG_STATS = "emc.oplog.stats";

  // ---- entity manager (in the oplog verticle) ----
  /** {@code EntityUpsertRequest} → {@code EntityReply}; fails CONFLICT when the name exists. */
  public static final String ENTITIES_CREATE = "emc.entities.create";

  /** {@code EntityUpsertRequest} → {@code EntityReply}; fails NOT_FOUND when unknown. */
  public static final String ENTITIES_UPDATE = "emc.entities.update";

  /** {@code EntityNameRequest} → {@code EntityReply}. */
  public static final String ENTITIES_GET = "emc.entities.get";

  /** {@code EntityListRequest} → {@code EntityListReply}. */
  public static final String ENTITIES_LIST = "emc.entities.list";

  /** {@code EntityNameRequest} → {@code EntityReply} (status deleted); purges its oplog rows. */
  public static final String ENTITIES_DELETE = "emc.entities.delete";

  /**
   * {@code EntityStatusRequest} → {@code EntityReply}: lifecycle transitions (scanning, failed...).
   */
  public static final String ENTITIES_SET_STATUS = "emc.entities.set-status";

  /** {@code EntityListRequest} → {@code EntityListReply}: hard refresh from PostgreSQL. */
  public static final String ENTITIES_REFRESH = "emc.entities.refresh";

  /** Publish {@code EntityChanged} on every create, update, status change, delete and refresh. */
  public static final String ENTITIES_CHANGED = "emc.entities.changed";

  // ---- listener ----
  /** {@code HealthRequest} → {@code HealthReply}: streams, window, last error. */
  public static final String LISTENER_HEALTH = "emc.listener.health";

  // ---- replicator and cache-db manager (node-local consumers) ----
  /**
   * {@code CacheApplyRequest} → {@code CacheApplyReply}: batch + last_oplog_id in one SQLite
   * transaction.
   */
  public static final String CACHE_APPLY = "emc.cache.apply";

  /** {@code CacheDocRequest} → {@code CacheRowsReply}. */
  public static final String CACHE_GET_DOC = "emc.cache.doc";

  /** {@code CachePageRequest} → {@code CacheRowsReply}: keyset paging by doc id. */
  public static final String CACHE_PAGE = "emc.cache.page";

  /** {@code CacheQueryRequest} → {@code CacheRowsReply}: one read-only SELECT. */
  public static final String CACHE_QUERY = "emc.cache.query";

  /**
   * {@code CacheSearchRequest} → {@code CacheRowsReply}: full-text search over the entity's {@code
   * search} columns (FTS5, bm25 order, with a snippet).
   */
  public static final String CACHE_SEARCH = "emc.cache.search";

  /** {@code CacheEntityRequest} → {@code CacheInfoReply}: close and remove a cache. */
  public static final String CACHE_DROP = "emc.cache.drop";

  /**
   * {@code CacheEntityRequest} → {@code CacheInfoReply}: state of one cache (or all when entity
   * null).
   */
  public static final String CACHE_INFO = "emc.cache.info";

  /**
   * {@code CacheEntityRequest} → {@code JobAccepted}: rebuild a cache from the oplog, swap when
   * caught up.
   */
  public static final String REPLICATOR_RECREATE = "emc.replicator.recreate";

  /** {@code HealthRequest} → {@code HealthReply}: per-entity progress and lag of this node. */
  public static final String REPLICATOR_STATS = "emc.replicator.stats";

  /** {@code HealthRequest} → {@code HealthReply}. */
  public static final String CACHE_HEALTH = "emc.cache.health";

  /**
   * Node-local {@code CacheEntityRequest} → {@code JobAccepted}: the cache-db manager rebuilds the
   * entity's cache from its oplog rows into a new file while the old file keeps serving, and swaps
   * when the new file is caught up. The replicator forwards {@link #REPLICATOR_RECREATE} here;
   * progress follows on {@link #STATUS} under the job id.
   */
  public static final String CACHE_REBUILD = "emc.cache.rebuild";

  // ---- verification support of the cache-db manager (node-local consumers) ----
  /**
   * {@code CacheCompareRequest} → {@code CacheCompareReply}: source rows compared with the cached
   * rows of the same doc ids, with the write mapping of an apply; at most 5000 rows.
   */
  public static final String CACHE_VERIFY_COMPARE = "emc.cache.verify.compare";

  /**
   * {@code CacheDigestRequest} → {@code CacheDigestReply}: per-bucket count and hash sum of every
   * cached doc id; at most 65536 buckets.
   */
  public static final String CACHE_VERIFY_DIGEST = "emc.cache.verify.digest";

  /**
   * {@code CacheIdsRequest} → {@code CacheIdsReply}: cached doc ids of some buckets, doc id order,
   * paged; at most 5000 per page.
   */
  public static final String CACHE_VERIFY_IDS = "emc.cache.verify.ids";

  /**
   * {@code CacheLocalRepairRequest} → {@code CacheLocalRepairReply}: restores the effect of
   * already-applied oplog rows in this node's cache file, without changing its last_oplog_id.
   */
  public static final String CACHE_VERIFY_REPAIR_LOCAL = "emc.cache.verify.repair-local";

  /**
   * Prefix of per-entity read addresses ({@code emc.cache.query.ENTITY}), registered as clustered
   * consumers by nodes that hold a caught-up cache of ENTITY. They accept {@code CacheDocRequest},
   * {@code CachePageRequest} and {@code CacheQueryRequest} and reply {@code CacheRowsReply}, so the
   * API's cache reads reach some node that holds the entity.
   */
  public static final String CACHE_QUERY_ENTITY_PREFIX = "emc.cache.query.";

  // ---- verifier (issue 11; clustered consumers of the verify verticle) ----
  /**
   * {@code VerifyStartRequest} → {@code VerifyJob}: verify the answering node's cache of an entity
   * against MongoDB (and repair with {@code repair}). NOT_FOUND for an unknown entity or no cache
   * on that node, CONFLICT while a run of the entity is running.
   */
  public static final String VERIFY_START = "emc.verify.start";

  /** {@code VerifyListRequest} → {@code VerifyListReply}: the runs the node knows, newest first. */
  public static final String VERIFY_LIST = "emc.verify.list";

  /** {@code VerifyJobRequest} → {@code VerifyJob}: one run by id; NOT_FOUND when unknown. */
  public static final String VERIFY_GET = "emc.verify.get";

  // ---- status feed ----
  /**
   * Publish {@code StatusEvent}: component states, entity status changes, progress, lag, errors.
   */
  public static final String STATUS = "emc.status";

  // ---- cluster ----
  /**
   * Publish {@code NodeHeartbeat}, cluster-wide, every {@code cluster.heartbeat_ms}: who is alive,
   * with which roles, serving which caches.
   */
  public static final String CLUSTER_HEARTBEAT = "emc.cluster.heartbeat";

  // ---- read-your-writes (issue 14) ----
  /**
   * Request {@code ClusterTimeRequest} → reply {@code ClusterTimeReply} (every node, read pool):
   * the entity's status, its stream's committed source cluster-time high-water mark and the oplog
   * head, from one snapshot. NOT_FOUND for an unknown or deleted entity.
   */
  public static final String OPLOG_CLUSTER_TIME = "emc.oplog.cluster-time";

  /**
   * Node-local publish {@code ReplicatorApplied}: the replicator committed its node offset after a
   * batch (every held cache has applied the oplog up to it). Read-your-writes waits wake on it.
   */
  public static final String REPLICATOR_APPLIED = "emc.replicator.applied";

  /** The entity-wide read address: some node that serves the entity answers. */
  public static String cacheQueryFor(String entity) {
    return CACHE_QUERY_ENTITY_PREFIX + entity;
  }

  /**
   * The read address of {@code entity} on one node: registered together with {@link
   * #cacheQueryFor(String)}, so a reader that knows the holders (from heartbeats) can pick one and
   * fall over to the next.
   */
  public static String cacheQueryFor(String entity, String node) {
    return CACHE_QUERY_ENTITY_PREFIX + entity + "@" + node;
  }

  /** {@code CacheEntityRequest} → {@code JobAccepted}: recreate on that node's replicator. */
  public static String replicatorRecreateFor(String node) {
    return REPLICATOR_RECREATE + "@" + node;
  }
}
