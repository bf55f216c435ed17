package io.emcachers.core.client;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.LeaderEpoch;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.CompactRequest;
import io.emcachers.core.messages.CompactedReadRequest;
import io.emcachers.core.messages.CompactionReply;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.core.messages.LatestRowsReply;
import io.emcachers.core.messages.LatestRowsRequest;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.messages.OplogReadReply;
import io.emcachers.core.messages.OplogReadRequest;
import io.emcachers.core.messages.OplogStatsReply;
import io.emcachers.core.messages.OplogStatsRequest;
import io.emcachers.core.messages.RepairReply;
import io.emcachers.core.messages.RepairRequest;
import io.emcachers.core.messages.ReplicaListReply;
import io.emcachers.core.messages.ReplicaListRequest;
import io.emcachers.core.messages.ReplicaRemoveReply;
import io.emcachers.core.messages.ReplicaRemoveRequest;
import io.emcachers.core.messages.ReplicaReport;
import io.emcachers.core.messages.ReplicaReportReply;
import io.emcachers.core.messages.ResumeTokenReply;
import io.emcachers.core.messages.ResumeTokenRequest;
import io.emcachers.core.messages.ScanBeginRequest;
import io.emcachers.core.messages.ScanEndReply;
import io.emcachers.core.messages.ScanEndRequest;
import io.emcachers.core.messages.ScanStateReply;
import io.emcachers.core.messages.ScanStateRequest;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import java.util.List;

/**
 * Typed requests to the oplog verticle ({@code emc.oplog.*}). Failures are those of the {@link
 * BusCaller}: the oplog's failure codes ({@code ErrorCodes}) in a {@code ReplyException}, unless
 * the caller maps them.
 */
public final class OplogClient {

  private final BusCaller bus;
  private final long leaderEpoch;

  public OplogClient(EventBus eventBus) {
    this(new BusCaller(eventBus));
  }

  public OplogClient(BusCaller bus) {
    this(bus, 0);
  }

  private OplogClient(BusCaller bus, long leaderEpoch) {
    this.bus = bus;
    this.leaderEpoch = leaderEpoch;
  }

  /**
   * A client for the work of one leader term ({@link LeaderEpoch}): its appends and scan begin/end
   * go to this node's own oplog verticle only (local delivery, never through another node) and
   * carry {@code epoch}, so the oplog refuses them once that term has ended.
   */
  public OplogClient fenced(long epoch) {
    if (epoch < 1) {
      throw new IllegalArgumentException("a leader epoch is >= 1, got " + epoch);
    }
    return new OplogClient(bus, epoch);
  }

  /** The leader epoch this client stamps its writes with (0: not fenced). */
  public long leaderEpoch() {
    return leaderEpoch;
  }

  private DeliveryOptions writeOptions(long timeoutMs) {
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(timeoutMs);
    return leaderEpoch > 0 ? LeaderEpoch.stamp(options.setLocalOnly(true), leaderEpoch) : options;
  }

  /** {@code emc.oplog.append}: the ack once the batch and its position committed. */
  public Future<AppendResult> append(AppendBatch batch) {
    return append(batch, bus.timeoutMs());
  }

  public Future<AppendResult> append(AppendBatch batch, long timeoutMs) {
    return bus.request(Addresses.OPLOG_APPEND, batch, AppendResult.class, writeOptions(timeoutMs));
  }

  /** {@code emc.oplog.resume-token}: every stored stream position (empty: initial scan). */
  public Future<ResumeTokenReply> resumeToken() {
    return bus.request(
        Addresses.OPLOG_RESUME_TOKEN, new ResumeTokenRequest(), ResumeTokenReply.class);
  }

  /** {@code emc.oplog.scan.begin}: a new scan attempt; the reply's entity carries its epoch. */
  public Future<EntityReply> scanBegin(String entity, String reason) {
    return bus.request(
        Addresses.OPLOG_SCAN_BEGIN,
        new ScanBeginRequest(entity, reason),
        EntityReply.class,
        writeOptions(bus.timeoutMs()));
  }

  /** {@code emc.oplog.scan.state}: the persisted progress of the scan attempt {@code epoch}. */
  public Future<ScanStateReply> scanState(String entity, long epoch) {
    return bus.request(
        Addresses.OPLOG_SCAN_STATE, new ScanStateRequest(entity, epoch), ScanStateReply.class);
  }

  /** {@code emc.oplog.scan.end}: staged rows moved behind the scan rows, entity live. */
  public Future<ScanEndReply> scanEnd(String entity, long epoch) {
    return scanEnd(entity, epoch, bus.timeoutMs());
  }

  public Future<ScanEndReply> scanEnd(String entity, long epoch, long timeoutMs) {
    return bus.request(
        Addresses.OPLOG_SCAN_END,
        new ScanEndRequest(entity, epoch),
        ScanEndReply.class,
        writeOptions(timeoutMs));
  }

  /**
   * {@code emc.oplog.read}: up to {@code limit} rows after {@code after}, in id order (entities
   * null: all).
   */
  public Future<OplogReadReply> read(long after, int limit, List<String> entities) {
    return read(new OplogReadRequest(after, limit, entities));
  }

  public Future<OplogReadReply> read(OplogReadRequest request) {
    return bus.request(Addresses.OPLOG_READ, request, OplogReadReply.class);
  }

  /**
   * {@code emc.oplog.read.compacted}: like {@link #read(long, int, List)} but never COMPACTED:
   * pages through the compacted state (a fresh or rebuilding node starts at {@code after = 0}).
   */
  public Future<OplogReadReply> readCompacted(long after, int limit, List<String> entities) {
    return bus.request(
        Addresses.OPLOG_READ_COMPACTED,
        new CompactedReadRequest(after, limit, entities),
        OplogReadReply.class);
  }

  /**
   * {@code emc.oplog.replica.report}: registers or refreshes this node's applied offset ({@code
   * rebuilt}: the node rebuilt its caches, its offset may move back); the reply carries the
   * horizons and whether the node must rebuild.
   */
  public Future<ReplicaReportReply> reportReplica(
      String nodeId, long appliedOffset, boolean rebuilt) {
    return bus.request(
        Addresses.OPLOG_REPLICA_REPORT,
        new ReplicaReport(nodeId, appliedOffset, rebuilt),
        ReplicaReportReply.class);
  }

  /** {@code emc.oplog.replica.list}: the replica registry with offsets and lag. */
  public Future<ReplicaListReply> replicas() {
    return bus.request(
        Addresses.OPLOG_REPLICA_LIST, new ReplicaListRequest(), ReplicaListReply.class);
  }

  /** {@code emc.oplog.replica.remove}: forgets a node that is gone. */
  public Future<ReplicaRemoveReply> removeReplica(String nodeId) {
    return bus.request(
        Addresses.OPLOG_REPLICA_REMOVE, new ReplicaRemoveRequest(nodeId), ReplicaRemoveReply.class);
  }

  /** {@code emc.oplog.compact} (leader only): a compaction run now; joins one in progress. */
  public Future<CompactionReply> compact(String reason, long timeoutMs) {
    return bus.request(
        Addresses.OPLOG_COMPACT, new CompactRequest(reason), CompactionReply.class, timeoutMs);
  }

  /** {@code emc.oplog.stats}: rows, bytes, horizons, last compaction, replicas. */
  public Future<OplogStatsReply> stats() {
    return bus.request(Addresses.OPLOG_STATS, new OplogStatsRequest(), OplogStatsReply.class);
  }

  /**
   * {@code emc.oplog.repair}: appends each entry as a synthetic row unless a row of its document is
   * newer than {@code headBefore}; the reply lists applied, skipped and rejected doc ids.
   */
  public Future<RepairReply> repair(
      String entity, long headBefore, long epoch, List<OplogEntry> entries, String reason) {
    return repair(new RepairRequest(entity, headBefore, epoch, entries, reason));
  }

  public Future<RepairReply> repair(RepairRequest request) {
    return bus.request(Addresses.OPLOG_REPAIR, request, RepairReply.class);
  }

  public Future<RepairReply> repair(RepairRequest request, long timeoutMs) {
    return bus.request(Addresses.OPLOG_REPAIR, request, RepairReply.class, timeoutMs);
  }

  /**
   * {@code emc.oplog.latest}: the highest-id row of each of {@code docIds} (at most 1000) of {@code
   * entity}; doc ids without a row are absent.
   */
  public Future<LatestRowsReply> latest(String entity, List<String> docIds) {
    return bus.request(
        Addresses.OPLOG_LATEST, new LatestRowsRequest(entity, docIds), LatestRowsReply.class);
  }

  /**
   * {@code emc.oplog.cluster-time}: the entity's status, its stream's committed source cluster-time
   * high-water mark and the oplog head, from one snapshot.
   */
  public Future<io.emcachers.core.messages.ClusterTimeReply> clusterTime(String entity) {
    return bus.request(
        Addresses.OPLOG_CLUSTER_TIME,
        new io.emcachers.core.messages.ClusterTimeRequest(entity),
        io.emcachers.core.messages.ClusterTimeReply.class);
  }

  /** {@code emc.oplog.health}: leader or standby, last error, jobs. */
  public Future<HealthReply> health() {
    return bus.request(Addresses.OPLOG_HEALTH, new HealthRequest(), HealthReply.class);
  }

  public Future<HealthReply> health(long timeoutMs) {
    return bus.request(Addresses.OPLOG_HEALTH, new HealthRequest(), HealthReply.class, timeoutMs);
  }

  /**
   * {@code emc.oplog.leader.local}: whether this node's own oplog verticle leads. Local-only, so a
   * node without an oplog verticle gets NO_HANDLERS instead of another node's answer.
   */
  public Future<HealthReply> leaderLocal(long timeoutMs) {
    return bus.request(
        Addresses.OPLOG_LEADER_LOCAL,
        new HealthRequest(),
        HealthReply.class,
        new DeliveryOptions().setLocalOnly(true).setSendTimeout(timeoutMs));
  }
}
