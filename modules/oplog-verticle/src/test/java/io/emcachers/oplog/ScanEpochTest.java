package io.emcachers.oplog;

import static io.emcachers.oplog.OplogTestSupport.append;
import static io.emcachers.oplog.OplogTestSupport.assertFailure;
import static io.emcachers.oplog.OplogTestSupport.count;
import static io.emcachers.oplog.OplogTestSupport.createEntity;
import static io.emcachers.oplog.OplogTestSupport.createLiveEntity;
import static io.emcachers.oplog.OplogTestSupport.metadata;
import static io.emcachers.oplog.OplogTestSupport.query;
import static io.emcachers.oplog.OplogTestSupport.request;
import static io.emcachers.oplog.OplogTestSupport.requestFailure;
import static io.emcachers.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.EntityNameRequest;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.EntityUpsertRequest;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.messages.ScanBeginRequest;
import io.emcachers.core.messages.ScanEndReply;
import io.emcachers.core.messages.ScanEndRequest;
import io.emcachers.core.messages.ScanStateReply;
import io.emcachers.core.messages.ScanStateRequest;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.model.Operation;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scan generations (issue 9, items 1 and 6): entries projected under an older shape, incarnation or
 * scan attempt never reach the oplog, and a new scan attempt forgets everything of the abandoned
 * one.
 */
@Timeout(120)
class ScanEpochTest extends PostgresTestBase {

  Vertx vertx;

  @BeforeEach
  void setUp() {
    OplogTestSupport.resetTables(pg);
    vertx = TestVertx.create();
    OplogTestSupport.deploy(vertx, OplogTestSupport.rootConfig(pg));
  }

  @AfterEach
  void tearDown() {
    await(vertx.close());
  }

  private static OplogEntry up(String entity, String docId, String title, long epoch) {
    return new OplogEntry(
        Operation.Upsert, entity, docId, new JsonObject().put("title", title), epoch);
  }

  private static OplogEntry del(String entity, String docId, long epoch) {
    return new OplogEntry(Operation.Delete, entity, docId, null, epoch);
  }

  private Entity begin(String name) {
    return request(
            vertx,
            Addresses.OPLOG_SCAN_BEGIN,
            new ScanBeginRequest(name, "test"),
            EntityReply.class)
        .entity();
  }

  private List<String> rows(String entity) {
    return query(
            pg,
            "SELECT op || ':' || doc_id || ':' || coalesce(data->>'title', '') AS r FROM oplog WHERE entity = '"
                + entity
                + "' ORDER BY id")
        .stream()
        .map(m -> (String) m.get("r"))
        .toList();
  }

  @Test
  void entriesProjectedForTheOldShapeAreDroppedAfterAShapeChange() {
    Entity created = createEntity(vertx, "shapes");
    Entity scanning = begin("shapes");
    assertEquals(created.epoch() + 1, scanning.epoch(), "a scan attempt has its own epoch");
    assertEquals(EntityStatus.scanning, scanning.status());
    long e1 = scanning.epoch();
    assertEquals(
        1,
        append(vertx, AppendBatch.stream("c", null, List.of(up("shapes", "a", "old shape", e1))))
            .staged());

    Entity updated =
        request(
                vertx,
                Addresses.ENTITIES_UPDATE,
                new EntityUpsertRequest(
                    OplogTestSupport.definition("shapes", "shapes_src", "title", "extra")),
                EntityReply.class)
            .entity();
    assertEquals(e1 + 1, updated.epoch(), "a shape change starts a new generation");

    // a batch projected with the old shape arrives after the change: dropped, not staged
    AppendResult late =
        append(
            vertx,
            AppendBatch.stream("c", null, List.of(up("shapes", "b", "old shape, late", e1))));
    assertEquals(0, late.staged());
    assertEquals(1, late.stale());

    Entity rescan = begin("shapes");
    long e2 = rescan.epoch();
    append(
        vertx,
        AppendBatch.stream(
            "c",
            null,
            List.of(up("shapes", "c", "new shape", e2), up("shapes", "d", "stale", e1))));
    assertFailure(
        requestFailure(
            vertx,
            Addresses.OPLOG_APPEND,
            AppendBatch.scan(
                "shapes",
                e1,
                new JsonObject().put("v", "z"),
                List.of(up("shapes", "z", "old scan", e1)))),
        ErrorCodes.STALE,
        "epoch");
    append(
        vertx,
        AppendBatch.scan(
            "shapes",
            e2,
            new JsonObject().put("v", "a"),
            List.of(up("shapes", "a", "scanned", e2))));
    assertFailure(
        requestFailure(vertx, Addresses.OPLOG_SCAN_END, new ScanEndRequest("shapes", e1)),
        ErrorCodes.STALE,
        "epoch");
    ScanEndReply end =
        request(
            vertx, Addresses.OPLOG_SCAN_END, new ScanEndRequest("shapes", e2), ScanEndReply.class);
    assertEquals(EntityStatus.live, end.entity().status());
    assertEquals(
        List.of("Upsert:a:scanned", "Upsert:c:new shape"),
        rows("shapes"),
        "only the current generation's scan and staged rows; nothing projected with the old shape");
    assertEquals(0, count(pg, "oplog_staging"), "stale staged rows are discarded at scan end");

    // live: stale entries are dropped, current ones written
    AppendResult live =
        append(
            vertx,
            AppendBatch.stream(
                "c", null, List.of(up("shapes", "e", "stale", e1), up("shapes", "f", "live", e2))));
    assertEquals(1, live.appended());
    assertEquals(1, live.stale());
    // a repeated end of the same attempt is harmless
    assertEquals(
        0,
        request(
                vertx,
                Addresses.OPLOG_SCAN_END,
                new ScanEndRequest("shapes", e2),
                ScanEndReply.class)
            .moved());
  }

  @Test
  void aNewScanAttemptForgetsTheAbandonedAttemptsStartStagingAndProgress() {
    createLiveEntity(vertx, "gap");
    append(
        vertx,
        AppendBatch.stream(
            "gap_src",
            null,
            List.of(up("gap", "a", "a", 0), up("gap", "b", "b", 0), up("gap", "c", "c", 0))));
    long e1 = begin("gap").epoch();
    // the abandoned attempt: a staged upsert of b, a scan batch with progress
    append(
        vertx,
        AppendBatch.stream(
            "gap_src", null, List.of(up("gap", "b", "b staged before the gap", e1))));
    append(
        vertx,
        AppendBatch.scan(
            "gap", e1, new JsonObject().put("v", "a"), List.of(up("gap", "a", "a1", e1))));
    assertEquals(
        new JsonObject().put("v", "a"),
        request(
                vertx,
                Addresses.OPLOG_SCAN_STATE,
                new ScanStateRequest("gap", e1),
                ScanStateReply.class)
            .lastId());

    // the stream lost its position; b and c were deleted in the gap; a new attempt starts
    long e2 = begin("gap").epoch();
    ScanStateReply fresh =
        request(
            vertx,
            Addresses.OPLOG_SCAN_STATE,
            new ScanStateRequest("gap", e2),
            ScanStateReply.class);
    assertNull(fresh.lastId(), "the new attempt does not continue the abandoned one's progress");
    assertEquals(0, fresh.scanned());
    assertEquals(e2, metadata(pg, "scan_start:gap").getLong("epoch"));
    append(
        vertx,
        AppendBatch.scan(
            "gap", e2, new JsonObject().put("v", "a"), List.of(up("gap", "a", "a2", e2))));
    append(vertx, AppendBatch.stream("gap_src", null, List.of(del("gap", "x", e2))));
    request(vertx, Addresses.OPLOG_SCAN_END, new ScanEndRequest("gap", e2), ScanEndReply.class);

    List<String> all = rows("gap");
    List<String> tail = all.subList(4, all.size()); // after a, b, c and the abandoned attempt's a1
    assertEquals(
        List.of("Upsert:a:a2", "Delete:b:", "Delete:c:", "Delete:x:"),
        tail,
        "b and c are proven gone; the staged upsert of b from before the gap never comes back");
    assertNull(metadata(pg, "scan_start:gap"));
    assertNull(metadata(pg, "scan_progress:gap"));
  }

  @Test
  void entriesOfTheDeletedIncarnationNeverReachTheRecreatedEntity() {
    Entity first = createLiveEntity(vertx, "again");
    append(
        vertx,
        AppendBatch.stream("again_src", null, List.of(up("again", "old1", "old", first.epoch()))));
    request(vertx, Addresses.ENTITIES_DELETE, new EntityNameRequest("again"), EntityReply.class);
    Entity second = createEntity(vertx, "again");
    assertEquals(first.epoch() + 1, second.epoch(), "a re-created entity is a new generation");
    // in flight from before the delete: projected for the old incarnation
    AppendResult late =
        append(
            vertx,
            AppendBatch.stream(
                "again_src", null, List.of(up("again", "old2", "old", first.epoch()))));
    assertEquals(0, late.staged());
    assertEquals(1, late.stale());
    assertEquals(
        0, count(pg, "oplog WHERE entity = 'again'"), "the old incarnation's rows are purged");
  }
}
