package io.emcachers.oplog;

import static io.emcachers.oplog.OplogTestSupport.append;
import static io.emcachers.oplog.OplogTestSupport.createLiveEntity;
import static io.emcachers.oplog.OplogTestSupport.metadata;
import static io.emcachers.oplog.OplogTestSupport.query;
import static io.emcachers.oplog.OplogTestSupport.request;
import static io.emcachers.oplog.OplogTestSupport.requestFailure;
import static io.emcachers.testsupport.Await.await;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.ClusterTimeReply;
import io.emcachers.core.messages.ClusterTimeRequest;
import io.emcachers.core.messages.OplogAppended;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.messages.OplogReadReply;
import io.emcachers.core.messages.OplogReadRequest;
import io.emcachers.core.messages.ScanEndReply;
import io.emcachers.core.messages.ScanEndRequest;
import io.emcachers.core.model.Operation;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Source cluster times (V6): per row, per stream high-water mark, {@code emc.oplog.cluster-time}.
 */
@Timeout(120)
class ClusterTimeTest extends PostgresTestBase {

  static final long T1 = (1_700_000_000L << 32) | 1;
  static final long T2 = (1_700_000_000L << 32) | 2;
  static final long T3 = (1_700_000_005L << 32) | 1;

  Vertx vertx;
  final List<OplogAppended> heads = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() {
    OplogTestSupport.resetTables(pg);
    vertx = TestVertx.create();
    vertx.eventBus().<OplogAppended>consumer(Addresses.OPLOG_APPENDED, m -> heads.add(m.body()));
    OplogTestSupport.deploy(vertx, OplogTestSupport.rootConfig(pg));
    createLiveEntity(vertx, "users");
  }

  @AfterEach
  void tearDown() {
    await(vertx.close());
  }

  static OplogEntry upsert(String docId, Long time) {
    return new OplogEntry(
        Operation.Upsert, "users", docId, new JsonObject().put("n", docId), 0, time);
  }

  ClusterTimeReply clusterTime(String entity) {
    return request(
        vertx,
        Addresses.OPLOG_CLUSTER_TIME,
        new ClusterTimeRequest(entity),
        ClusterTimeReply.class);
  }

  @Test
  void rowsKeepTheirClusterTimeAndTheStreamMarkNeverGoesBack() {
    ClusterTimeReply none = clusterTime("users");
    assertEquals("live", none.status());
    assertNull(none.stream(), "no position stored yet");
    assertNull(none.clusterTime());

    append(
        vertx,
        AppendBatch.stream(
                "users_src",
                new JsonObject().put("_data", "a1"),
                List.of(upsert("u1", T1), upsert("u2", T2)))
            .withClusterTime(T2));
    assertEquals(
        List.of(T1, T2),
        query(pg, "SELECT cluster_time FROM oplog ORDER BY id").stream()
            .map(r -> r.get("cluster_time"))
            .toList());
    OplogReadReply read =
        request(
            vertx, Addresses.OPLOG_READ, new OplogReadRequest(0, 10, null), OplogReadReply.class);
    assertEquals(T2, read.rows().get(1).clusterTime(), "reads carry the row's cluster time");

    ClusterTimeReply afterFirst = clusterTime("users");
    assertEquals("users_src", afterFirst.stream(), "the entity's source collection's stream");
    assertEquals(T2, afterFirst.clusterTime());
    assertEquals(2, afterFirst.headId());

    // an idle checkpoint (no entries) moves the mark and wakes waiters
    int published = heads.size();
    append(
        vertx,
        AppendBatch.stream("users_src", new JsonObject().put("_data", "a2"), List.of())
            .withClusterTime(T3));
    assertEquals(T3, clusterTime("users").clusterTime());
    await().atMost(Duration.ofSeconds(5)).until(() -> heads.size() > published);

    // a lower time (a replayed batch) never lowers the mark
    append(
        vertx,
        AppendBatch.stream(
                "users_src", new JsonObject().put("_data", "a3"), List.of(upsert("u3", T1)))
            .withClusterTime(T1));
    assertEquals(T3, clusterTime("users").clusterTime());
    assertEquals(new JsonObject().put("users_src", T3), metadata(pg, "stream_cluster_time"));
    assertEquals(3, clusterTime("users").headId());
  }

  @Test
  void stagedRowsKeepTheirClusterTimeWhenTheScanEnds() {
    OplogTestSupport.createEntity(vertx, "staged");
    await(
        vertx
            .eventBus()
            .request(
                Addresses.ENTITIES_SET_STATUS,
                new io.emcachers.core.messages.EntityStatusRequest(
                    "staged", io.emcachers.core.model.EntityStatus.scanning, "test")));
    append(
        vertx,
        AppendBatch.stream(
                "staged_src",
                new JsonObject().put("_data", "s1"),
                List.of(new OplogEntry(Operation.Upsert, "staged", "d1", new JsonObject(), 0, T1)))
            .withClusterTime(T1));
    assertEquals("scanning", clusterTime("staged").status());
    request(vertx, Addresses.OPLOG_SCAN_END, new ScanEndRequest("staged", 0), ScanEndReply.class);
    assertEquals(
        List.of(T1),
        query(pg, "SELECT cluster_time FROM oplog WHERE entity = 'staged'").stream()
            .map(r -> r.get("cluster_time"))
            .toList());
    assertEquals("live", clusterTime("staged").status());
  }

  @Test
  void unknownEntityIsNotFound() {
    OplogTestSupport.assertFailure(
        requestFailure(vertx, Addresses.OPLOG_CLUSTER_TIME, new ClusterTimeRequest("nobody")),
        ErrorCodes.NOT_FOUND,
        "nobody");
  }
}
