package io.emcachers.oplog;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.ConsumerGroup;
import io.emcachers.core.bus.LeaderEpoch;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.ClusterTimeRequest;
import io.emcachers.core.messages.CompactRequest;
import io.emcachers.core.messages.CompactedReadRequest;
import io.emcachers.core.messages.EntityListRequest;
import io.emcachers.core.messages.EntityNameRequest;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.EntityStatusRequest;
import io.emcachers.core.messages.EntityUpsertRequest;
import io.emcachers.core.messages.LatestRowsRequest;
import io.emcachers.core.messages.OplogReadRequest;
import io.emcachers.core.messages.OplogStatsRequest;
import io.emcachers.core.messages.RepairRequest;
import io.emcachers.core.messages.ReplicaListRequest;
import io.emcachers.core.messages.ReplicaRemoveRequest;
import io.emcachers.core.messages.ReplicaReport;
import io.emcachers.core.messages.ResumeTokenRequest;
import io.emcachers.core.messages.ScanBeginRequest;
import io.emcachers.core.messages.ScanEndRequest;
import io.emcachers.core.messages.ScanStateRequest;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.validation.EntityValidator;
import io.emcachers.oplog.compaction.Compactor;
import io.emcachers.oplog.compaction.ReplicaRegistry;
import io.emcachers.oplog.entities.EntityManager;
import io.emcachers.oplog.scan.ScanManager;
import io.emcachers.oplog.writer.LeaderFence;
import io.emcachers.oplog.writer.OplogRepairer;
import io.emcachers.oplog.writer.OplogWriter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Which bus address goes to which handler of the {@link OplogVerticle}: the write consumers
 * (append, repair, scan begin/end, compact, entity create/update/delete/set-status), registered by
 * the advisory-lock leader only (append and scan begin/end fenced by the sender's {@link
 * LeaderEpoch}), and the read consumers every node registers once the schema is in place (read,
 * latest, compacted read, replica report/list/remove, stats, resume token, scan state, entity
 * get/list/refresh). Each call returns a new {@link ConsumerGroup}, already registering.
 */
final class OplogConsumers {

  private final Vertx vertx;
  private final OplogWriter writer;
  private final OplogRepairer repairer;
  private final ScanManager scans;
  private final EntityManager entities;
  private final Compactor compactor;
  private final ReplicaRegistry replicas;
  private final OplogReader reader;
  private final ResumeTokenStore tokens;
  private final LeaderFence fence;
  private final ClusterTimes clusterTimes;

  OplogConsumers(
      Vertx vertx,
      LeaderFence fence,
      OplogWriter writer,
      OplogRepairer repairer,
      ScanManager scans,
      EntityManager entities,
      Compactor compactor,
      ReplicaRegistry replicas,
      OplogReader reader,
      ResumeTokenStore tokens,
      ClusterTimes clusterTimes) {
    this.vertx = vertx;
    this.clusterTimes = clusterTimes;
    this.fence = fence;
    this.writer = writer;
    this.repairer = repairer;
    this.scans = scans;
    this.entities = entities;
    this.compactor = compactor;
    this.replicas = replicas;
    this.reader = reader;
    this.tokens = tokens;
  }

  /** The leader's write consumers (registered on winning the lock, unregistered on losing it). */
  ConsumerGroup write() {
    return new ConsumerGroup(vertx)
        .handleWithHeaders(
            Addresses.OPLOG_APPEND,
            AppendBatch.class,
            (batch, headers) -> writer.append(batch, LeaderEpoch.of(headers)))
        .handle(Addresses.OPLOG_REPAIR, RepairRequest.class, repairer::repair)
        .handleWithHeaders(
            Addresses.OPLOG_SCAN_BEGIN,
            ScanBeginRequest.class,
            (req, headers) ->
                fence.check(LeaderEpoch.of(headers), "scan begin").compose(v -> scans.begin(req)))
        .handleWithHeaders(
            Addresses.OPLOG_SCAN_END,
            ScanEndRequest.class,
            (req, headers) ->
                fence.check(LeaderEpoch.of(headers), "scan end").compose(v -> scans.end(req)))
        .handle(Addresses.OPLOG_COMPACT, CompactRequest.class, compactor::compact)
        .handle(Addresses.ENTITIES_CREATE, EntityUpsertRequest.class, entities::create)
        .handle(Addresses.ENTITIES_UPDATE, EntityUpsertRequest.class, entities::update)
        .handle(Addresses.ENTITIES_DELETE, EntityNameRequest.class, entities::delete)
        .handleWithHeaders(
            Addresses.ENTITIES_SET_STATUS,
            EntityStatusRequest.class,
            (req, headers) ->
                fence.check(LeaderEpoch.of(headers), "status change").compose(v -> setStatus(req)));
  }

  private Future<EntityReply> setStatus(EntityStatusRequest req) {
    return req != null && req.status() == EntityStatus.live
        // live ends the scan like a scan end: proven deletes and staged rows, in chunks
        ? scans
            .end(new ScanEndRequest(EntityValidator.requireName("name", req.name()), 0))
            .map(r -> new EntityReply(r.entity()))
        : entities.setStatus(req);
  }

  /** Every node's read consumers. */
  ConsumerGroup read() {
    return new ConsumerGroup(vertx)
        .handle(Addresses.OPLOG_READ, OplogReadRequest.class, reader::read)
        .handle(Addresses.OPLOG_LATEST, LatestRowsRequest.class, reader::latest)
        .handle(Addresses.OPLOG_READ_COMPACTED, CompactedReadRequest.class, reader::readCompacted)
        .handle(Addresses.OPLOG_REPLICA_REPORT, ReplicaReport.class, replicas::report)
        .handle(Addresses.OPLOG_REPLICA_LIST, ReplicaListRequest.class, replicas::list)
        .handle(Addresses.OPLOG_REPLICA_REMOVE, ReplicaRemoveRequest.class, replicas::remove)
        .handle(Addresses.OPLOG_STATS, OplogStatsRequest.class, compactor::stats)
        .handle(Addresses.OPLOG_RESUME_TOKEN, ResumeTokenRequest.class, tokens::read)
        .handle(Addresses.OPLOG_SCAN_STATE, ScanStateRequest.class, scans::state)
        .handle(Addresses.ENTITIES_GET, EntityNameRequest.class, entities::get)
        .handle(Addresses.ENTITIES_LIST, EntityListRequest.class, entities::list)
        .handle(Addresses.ENTITIES_REFRESH, EntityListRequest.class, entities::refresh)
        .handle(Addresses.OPLOG_CLUSTER_TIME, ClusterTimeRequest.class, clusterTimes::read);
  }
}
