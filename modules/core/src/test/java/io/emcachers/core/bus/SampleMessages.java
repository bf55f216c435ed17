package io.emcachers.core.bus;

import io.emcachers.core.jobs.JobStats;
import io.emcachers.core.messages.*;
import io.emcachers.core.model.*;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/** One populated instance of every bus message, with nested values, unicode and nulls. */
final class SampleMessages {

  private SampleMessages() {}

  static final Instant T = Instant.parse("2026-11-24T10:15:30.123Z");
  static final Shape SHAPE =
      new Shape(
          "User",
          "users",
          List.of(
              new Column("id", DataType.Text, "_id"),
              new Column("age", DataType.Integer, "profile.age"),
              new Column("tags", DataType.JSONB, "tags")));
  static final Entity ENTITY =
      new Entity("users", SHAPE, EntityStatus.live, 3, T, T.plusSeconds(5), 2);
  static final JsonObject DATA =
      new JsonObject()
          .put("id", "ü-1")
          .put("age", 42)
          .put("tags", new JsonArray().add("a").add(new JsonObject().put("k", true)))
          .putNull("x");
  static final Oplog OPLOG = new Oplog(17, Operation.Upsert, "ü-1", T, "users", DATA);
  static final Oplog DELETE = new Oplog(18, Operation.Delete, "2", T, "users", null);
  static final OplogEntry ENTRY = new OplogEntry(Operation.Upsert, "users", "ü-1", DATA, 2);

  static List<BusMessage> all() {
    JsonObject token = new JsonObject().put("_data", "8263A1B2C3");
    return List.of(
        AppendBatch.streamAfter(
            "users",
            new JsonObject().put("_data", "8263A1B2C2"),
            token,
            List.of(ENTRY, new OplogEntry(Operation.Delete, "users", "2", null))),
        AppendResult.fromJson(
            new AppendResult(
                    10,
                    12,
                    2,
                    1,
                    "users",
                    token,
                    new JsonArray()
                        .add(
                            new JsonObject()
                                .put("entity", "users")
                                .put("doc_id", "x")
                                .put("reason", "NUL")),
                    3)
                .toJson()),
        AppendBatch.scan("users", 4, new JsonObject().put("v", 7), List.of(ENTRY)),
        AppendBatch.stream("users", null, List.of()),
        AppendBatch.scan("users", new JsonObject().put("v", "ü"), List.of()),
        new ScanBeginRequest("users", "stream position lost"),
        new ResumeTokenRequest(),
        new ResumeTokenReply(new JsonObject().put("users", token)),
        new OplogAppended(99),
        new OplogReadRequest(5, 100, List.of("users", "orders")),
        new OplogReadReply(List.of(OPLOG, DELETE), 18, 18),
        new RepairRequest(
            "users",
            17,
            2,
            List.of(ENTRY, new OplogEntry(Operation.Delete, "users", "2", null)),
            "verification of node-1"),
        new RepairReply(
            List.of("ü-1"),
            List.of("2"),
            new JsonArray()
                .add(new JsonObject().put("index", 2).put("doc_id", "x").put("reason", "NUL")),
            19,
            19),
        new LatestRowsRequest("users", List.of("ü-1", "2")),
        new LatestRowsReply(
            List.of(new Oplog(19, Operation.Upsert, "ü-1", T, "users", DATA, true), DELETE)),
        new ScanStateRequest("users", 4),
        new ScanStateReply(
            "users",
            new JsonObject().put("v", new JsonObject().put("$oid", "5f1d7a0e9b1e8b3a4c5d6e7f")),
            1234),
        new ScanEndRequest("users", 4),
        new ScanEndReply(ENTITY, 7, 99),
        new EntityUpsertRequest(new JsonObject().put("name", "users").put("shape", SHAPE.toJson())),
        new EntityNameRequest("users"),
        new EntityListRequest(true),
        new EntityStatusRequest("users", EntityStatus.scanning, "resume token lost"),
        new EntityReply(ENTITY),
        new EntityListReply(List.of(ENTITY, ENTITY.withStatus(EntityStatus.pending))),
        new EntityChanged(
            EntityChanged.SHAPE_CHANGED, ENTITY, ENTITY.withStatus(EntityStatus.pending)),
        new StatusEvent(
            StatusEvent.TYPE_PROGRESS,
            "replicator",
            "users",
            "streaming",
            new JsonObject().put("lag_rows", 3),
            T),
        new NodeHeartbeat(
            "node-ü",
            List.of("replicator", "api"),
            T,
            7,
            List.of("users"),
            List.of("users", "orders"),
            new JsonObject().put("offset", 17),
            null),
        new HealthRequest(),
        new HealthReply(
            "oplog",
            true,
            "leader",
            new JsonObject()
                .put(
                    "jobs",
                    new JsonArray()
                        .add(
                            new JobStats(
                                    "refresh",
                                    1000,
                                    0,
                                    false,
                                    3,
                                    0,
                                    T,
                                    12,
                                    JobStats.OUTCOME_OK,
                                    null)
                                .toJson()))),
        new CacheApplyRequest(ENTITY, List.of(OPLOG, DELETE)),
        new CacheApplyReply("users", 18, 1, 1),
        new CacheDocRequest("users", "ü-1"),
        new CachePageRequest("users", null, 50),
        new CacheSearchRequest("users", "caf* NEAR(lait, 3)", 20),
        new CacheQueryRequest(
            "users", "SELECT * FROM users WHERE age > ?", new JsonArray().add(3), 10, 1000),
        new CacheRowsReply(List.of(DATA, new JsonObject()), "ü-1", true),
        new CacheEntityRequest("users"),
        new CacheInfoReply(
            new JsonObject().put("users", new JsonObject().put("last_oplog_id", 18))),
        new CacheCompareRequest(
            "users",
            List.of(
                new CacheCompareRequest.SourceRow("ü-1", DATA),
                new CacheCompareRequest.SourceRow("2", null))),
        new CacheCompareReply(18, 3, List.of("ü-1"), List.of("2", "~n:3")),
        new CacheDigestRequest("users", 1024),
        new CacheDigestReply(18, List.of(2L, 0L), List.of(Long.MIN_VALUE, 0L)),
        new CacheIdsRequest("users", 1024, List.of(0, 1023), "ü-1", 500),
        new CacheIdsReply(List.of("ü-1", "~n:3"), "~n:3"),
        new CacheLocalRepairRequest("users", List.of(OPLOG, DELETE)),
        new CacheLocalRepairReply(1, 1),
        new JobAccepted("job-1", "users"),
        new VerifyStartRequest("users", true),
        new VerifyJobRequest("v-1"),
        new VerifyListRequest(),
        new VerifyListReply(List.of(sampleVerifyJob())),
        sampleVerifyJob(),
        new ClusterTimeRequest("users"),
        new ClusterTimeReply("users", "live", "users", (1_700_000_000L << 32) | 3, 42),
        new ReplicatorApplied("node-ü", 42),
        AppendBatch.streamAfter(
                "users",
                null,
                token,
                List.of(
                    new OplogEntry(
                        Operation.Upsert, "users", "3", DATA, 2, (1_700_000_000L << 32) | 7)))
            .withClusterTime((1_700_000_000L << 32) | 7),
        new OplogReadReply(
            List.of(new Oplog(20, Operation.Upsert, "3", T, "users", DATA, false, 99L)), 20, 20),
        new CompactedReadRequest(17, 500, List.of("users")),
        new ReplicaReport("node-ü", 17, true),
        new ReplicaReportReply(10, 5, 17, true),
        new ReplicaListRequest(),
        new ReplicaListReply(
            List.of(new ReplicaInfo("node-ü", 17, T, T.minusSeconds(60), true, false, 1)), 18),
        new ReplicaRemoveRequest("node-ü"),
        new ReplicaRemoveReply("node-ü", true),
        new CompactRequest("test"),
        new CompactionReply(10, 5, 100, 3, 250, T),
        new OplogStatsRequest(),
        new OplogStatsReply(
            java.util.Map.of("users", 18L),
            18,
            0,
            8192,
            16384,
            32768,
            18,
            10,
            5,
            10,
            new CompactionReply(10, 5, 100, 3, 250, T),
            List.of(new ReplicaInfo("node-ü", 17, T, T, false, true, 1))));
  }

  static VerifyJob sampleVerifyJob() {
    return new VerifyJob(
        "v-1",
        "users",
        "node-1",
        true,
        VerifyJob.FINISHED,
        "done",
        Instant.parse("2026-01-02T03:04:05Z"),
        Instant.parse("2026-01-02T03:04:06Z"),
        1000,
        new VerifyJob.Counts(10, 7, 1, 1, 1, 2, 1, 0, 0),
        List.of("ü-1", "~n:3"),
        null);
  }
}
