package io.emcachers.core.bus;

import io.emcachers.core.messages.*;
import io.vertx.core.eventbus.EventBus;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Registers the codec of every {@link BusMessage} record as its default codec. Call once per event
 * bus, right after Vert.x starts (the launcher and tests do); never from a verticle's start(), as
 * Vert.x throws on a duplicate codec. A repeated call on the same bus is a no-op.
 */
public final class Codecs {

  private static final Map<EventBus, Boolean> REGISTERED =
      Collections.synchronizedMap(new WeakHashMap<>());

  /** Every message codec; the cluster round-trip test iterates over this list. */
  public static final List<JsonMessageCodec<?>> ALL =
      List.of(
          // one codec per record of the sealed AppendBatch: a default codec is looked up by exact
          // class
          new JsonMessageCodec<>(AppendBatch.StreamBatch.class, AppendBatch.StreamBatch::fromJson),
          new JsonMessageCodec<>(AppendBatch.ScanBatch.class, AppendBatch.ScanBatch::fromJson),
          new JsonMessageCodec<>(AppendResult.class, AppendResult::fromJson),
          new JsonMessageCodec<>(ResumeTokenRequest.class, ResumeTokenRequest::fromJson),
          new JsonMessageCodec<>(ResumeTokenReply.class, ResumeTokenReply::fromJson),
          new JsonMessageCodec<>(OplogAppended.class, OplogAppended::fromJson),
          new JsonMessageCodec<>(OplogReadRequest.class, OplogReadRequest::fromJson),
          new JsonMessageCodec<>(OplogReadReply.class, OplogReadReply::fromJson),
          new JsonMessageCodec<>(RepairRequest.class, RepairRequest::fromJson),
          new JsonMessageCodec<>(RepairReply.class, RepairReply::fromJson),
          new JsonMessageCodec<>(LatestRowsRequest.class, LatestRowsRequest::fromJson),
          new JsonMessageCodec<>(LatestRowsReply.class, LatestRowsReply::fromJson),
          new JsonMessageCodec<>(CompactedReadRequest.class, CompactedReadRequest::fromJson),
          new JsonMessageCodec<>(ReplicaReport.class, ReplicaReport::fromJson),
          new JsonMessageCodec<>(ReplicaReportReply.class, ReplicaReportReply::fromJson),
          new JsonMessageCodec<>(ReplicaListRequest.class, ReplicaListRequest::fromJson),
          new JsonMessageCodec<>(ReplicaListReply.class, ReplicaListReply::fromJson),
          new JsonMessageCodec<>(ReplicaRemoveRequest.class, ReplicaRemoveRequest::fromJson),
          new JsonMessageCodec<>(ReplicaRemoveReply.class, ReplicaRemoveReply::fromJson),
          new JsonMessageCodec<>(CompactRequest.class, CompactRequest::fromJson),
          new JsonMessageCodec<>(CompactionReply.class, CompactionReply::fromJson),
          new JsonMessageCodec<>(OplogStatsRequest.class, OplogStatsRequest::fromJson),
          new JsonMessageCodec<>(OplogStatsReply.class, OplogStatsReply::fromJson),
          new JsonMessageCodec<>(ScanStateRequest.class, ScanStateRequest::fromJson),
          new JsonMessageCodec<>(ScanBeginRequest.class, ScanBeginRequest::fromJson),
          new JsonMessageCodec<>(ScanStateReply.class, ScanStateReply::fromJson),
          new JsonMessageCodec<>(ScanEndRequest.class, ScanEndRequest::fromJson),
          new JsonMessageCodec<>(ScanEndReply.class, ScanEndReply::fromJson),
          new JsonMessageCodec<>(EntityUpsertRequest.class, EntityUpsertRequest::fromJson),
          new JsonMessageCodec<>(EntityNameRequest.class, EntityNameRequest::fromJson),
          new JsonMessageCodec<>(EntityListRequest.class, EntityListRequest::fromJson),
          new JsonMessageCodec<>(EntityStatusRequest.class, EntityStatusRequest::fromJson),
          new JsonMessageCodec<>(EntityReply.class, EntityReply::fromJson),
          new JsonMessageCodec<>(EntityListReply.class, EntityListReply::fromJson),
          new JsonMessageCodec<>(EntityChanged.class, EntityChanged::fromJson),
          new JsonMessageCodec<>(StatusEvent.class, StatusEvent::fromJson),
          new JsonMessageCodec<>(NodeHeartbeat.class, NodeHeartbeat::fromJson),
          new JsonMessageCodec<>(HealthRequest.class, HealthRequest::fromJson),
          new JsonMessageCodec<>(HealthReply.class, HealthReply::fromJson),
          new JsonMessageCodec<>(CacheApplyRequest.class, CacheApplyRequest::fromJson),
          new JsonMessageCodec<>(CacheApplyReply.class, CacheApplyReply::fromJson),
          new JsonMessageCodec<>(CacheDocRequest.class, CacheDocRequest::fromJson),
          new JsonMessageCodec<>(CachePageRequest.class, CachePageRequest::fromJson),
          new JsonMessageCodec<>(CacheQueryRequest.class, CacheQueryRequest::fromJson),
          new JsonMessageCodec<>(CacheRowsReply.class, CacheRowsReply::fromJson),
          new JsonMessageCodec<>(CacheEntityRequest.class, CacheEntityRequest::fromJson),
          new JsonMessageCodec<>(CacheInfoReply.class, CacheInfoReply::fromJson),
          new JsonMessageCodec<>(CacheCompareRequest.class, CacheCompareRequest::fromJson),
          new JsonMessageCodec<>(CacheCompareReply.class, CacheCompareReply::fromJson),
          new JsonMessageCodec<>(CacheDigestRequest.class, CacheDigestRequest::fromJson),
          new JsonMessageCodec<>(CacheDigestReply.class, CacheDigestReply::fromJson),
          new JsonMessageCodec<>(CacheIdsRequest.class, CacheIdsRequest::fromJson),
          new JsonMessageCodec<>(CacheIdsReply.class, CacheIdsReply::fromJson),
          new JsonMessageCodec<>(CacheLocalRepairRequest.class, CacheLocalRepairRequest::fromJson),
          new JsonMessageCodec<>(CacheLocalRepairReply.class, CacheLocalRepairReply::fromJson),
          new JsonMessageCodec<>(JobAccepted.class, JobAccepted::fromJson),
          new JsonMessageCodec<>(VerifyStartRequest.class, VerifyStartRequest::fromJson),
          new JsonMessageCodec<>(VerifyJobRequest.class, VerifyJobRequest::fromJson),
          new JsonMessageCodec<>(VerifyListRequest.class, VerifyListRequest::fromJson),
          new JsonMessageCodec<>(VerifyListReply.class, VerifyListReply::fromJson),
          new JsonMessageCodec<>(VerifyJob.class, VerifyJob::fromJson),
          new JsonMessageCodec<>(CacheSearchRequest.class, CacheSearchRequest::fromJson),
          new JsonMessageCodec<>(ClusterTimeRequest.class, ClusterTimeRequest::fromJson),
          new JsonMessageCodec<>(ClusterTimeReply.class, ClusterTimeReply::fromJson),
          new JsonMessageCodec<>(ReplicatorApplied.class, ReplicatorApplied::fromJson));

  private Codecs() {}

  public static void registerAll(EventBus eventBus) {
    synchronized (REGISTERED) {
      if (REGISTERED.containsKey(eventBus)) {
        return;
      }
      for (JsonMessageCodec<?> codec : ALL) {
        register(eventBus, codec);
      }
      REGISTERED.put(eventBus, Boolean.TRUE);
    }
  }

  private static <T extends BusMessage> void register(
      EventBus eventBus, JsonMessageCodec<T> codec) {
    eventBus.registerDefaultCodec(codec.type(), codec);
  }
}
