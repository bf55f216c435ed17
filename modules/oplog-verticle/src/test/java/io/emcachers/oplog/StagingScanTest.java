package io.emcachers.oplog;

import static io.emcachers.oplog.OplogTestSupport.append;
import static io.emcachers.oplog.OplogTestSupport.assertFailure;
import static io.emcachers.oplog.OplogTestSupport.count;
import static io.emcachers.oplog.OplogTestSupport.createEntity;
import static io.emcachers.oplog.OplogTestSupport.createLiveEntity;
import static io.emcachers.oplog.OplogTestSupport.delete;
import static io.emcachers.oplog.OplogTestSupport.metadata;
import static io.emcachers.oplog.OplogTestSupport.query;
import static io.emcachers.oplog.OplogTestSupport.request;
import static io.emcachers.oplog.OplogTestSupport.requestFailure;
import static io.emcachers.oplog.OplogTestSupport.upsert;
import static io.emcachers.testsupport.Await.await;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.EntityChanged;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.EntityStatusRequest;
import io.emcachers.core.messages.OplogAppended;
import io.emcachers.core.messages.OplogReadReply;
import io.emcachers.core.messages.OplogReadRequest;
import io.emcachers.core.messages.ScanEndReply;
import io.emcachers.core.messages.ScanEndRequest;
import io.emcachers.core.messages.ScanStateReply;
import io.emcachers.core.messages.ScanStateRequest;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.model.Oplog;
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

@Timeout(120)
class StagingScanTest extends PostgresTestBase {

  Vertx vertx;
  final List<EntityChanged> changes = new CopyOnWriteArrayList<>();
  final List<OplogAppended> heads = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() {
    OplogTestSupport.resetTables(pg);
    vertx = TestVertx.create();
    vertx
        .eventBus()
        .<EntityChanged>consumer(Addresses.ENTITIES_CHANGED, m -> changes.add(m.body()));
    vertx.eventBus().<OplogAppended>consumer(Addresses.OPLOG_APPENDED, m -> heads.add(m.body()));
    OplogTestSupport.deploy(vertx, OplogTestSupport.rootConfig(pg));
  }

  @AfterEach
  void tearDown() {
    await(vertx.close());
  }

  private static JsonObject doc(String title) {
    return new JsonObject().put("title", title);
  }

  @Test
  void streamedEntriesOfANewEntityAreStagedUntilItsScanEnds() {
    createLiveEntity(vertx, "old");
    createEntity(vertx, "items"); // pending

    JsonObject t1 = new JsonObject().put("_data", "1");
    AppendResult r1 =
        append(
            vertx,
            AppendBatch.stream(
                "coll",
                t1,
                List.of(
                    upsert("items", "s1", doc("streamed 1")),
                    upsert("old", "x1", doc("old row")),
                    delete("items", "s2"))));
    assertEquals(1, r1.appended());
    assertEquals(2, r1.staged());
    assertEquals(1, r1.lastId());
    assertEquals(t1, r1.resumeToken(), "the token commits with the staged rows");
    assertEquals(2, count(pg, "oplog_staging WHERE entity = 'items'"));
    assertEquals(0, count(pg, "oplog WHERE entity = 'items'"));

    request(
        vertx,
        Addresses.ENTITIES_SET_STATUS,
        new EntityStatusRequest("items", EntityStatus.scanning, "scan started"),
        EntityReply.class);
    AppendResult onlyStaged =
        append(
            vertx,
            AppendBatch.stream(
                "coll",
                new JsonObject().put("_data", "2"),
                List.of(upsert("items", "s3", doc("streamed 3")))));
    assertEquals(0, onlyStaged.lastId(), "only staging rows: no oplog id");
    assertEquals(1, onlyStaged.staged());

    // scan batches go straight to the oplog, with their progress
    assertNull(
        request(
                vertx,
                Addresses.OPLOG_SCAN_STATE,
                new ScanStateRequest("items"),
                ScanStateReply.class)
            .lastId());
    AppendResult scan1 =
        append(
            vertx,
            AppendBatch.scan(
                "items",
                new JsonObject().put("v", 10),
                List.of(
                    upsert("items", "d1", doc("scanned 1")),
                    upsert("items", "s1", doc("scanned s1")))));
    assertEquals(2, scan1.appended());
    ScanStateReply state1 =
        request(
            vertx, Addresses.OPLOG_SCAN_STATE, new ScanStateRequest("items"), ScanStateReply.class);
    assertEquals(new JsonObject().put("v", 10), state1.lastId());
    assertEquals(2, state1.scanned());
    append(
        vertx,
        AppendBatch.scan(
            "items",
            new JsonObject().put("v", new JsonObject().put("$oid", "65a")),
            List.of(upsert("items", "d3", doc("scanned 3")))));
    ScanStateReply state2 =
        request(
            vertx, Addresses.OPLOG_SCAN_STATE, new ScanStateRequest("items"), ScanStateReply.class);
    assertEquals(new JsonObject().put("v", new JsonObject().put("$oid", "65a")), state2.lastId());
    assertEquals(3, state2.scanned());
    assertEquals(
        new JsonObject()
            .put("last_id", new JsonObject().put("v", new JsonObject().put("$oid", "65a")))
            .put("scanned", 3)
            .put("epoch", 0),
        metadata(pg, "scan_progress:items"));

    AppendResult unknownScan =
        append(
            vertx,
            AppendBatch.scan(
                "ghost", new JsonObject().put("v", 1), List.of(upsert("ghost", "g", doc("g")))));
    assertEquals(0, unknownScan.appended(), "scan rows of an unknown entity are dropped");
    assertNull(metadata(pg, "scan_progress:ghost"));

    heads.clear();
    ScanEndReply end =
        request(vertx, Addresses.OPLOG_SCAN_END, new ScanEndRequest("items"), ScanEndReply.class);
    assertEquals(3, end.moved());
    assertEquals(EntityStatus.live, end.entity().status());
    assertEquals(3, end.entity().version(), "pending(1) -> scanning(2) -> live(3)");
    assertEquals(7, end.headId());

    List<String> order =
        query(pg, "SELECT doc_id FROM oplog WHERE entity = 'items' ORDER BY id").stream()
            .map(m -> (String) m.get("doc_id"))
            .toList();
    assertEquals(
        List.of("d1", "s1", "d3", "s1", "s2", "s3"),
        order,
        "staged rows behind the scan rows, in their original order");
    List<String> ops =
        query(pg, "SELECT op FROM oplog WHERE entity = 'items' ORDER BY id").stream()
            .map(m -> (String) m.get("op"))
            .toList();
    assertEquals(List.of("Upsert", "Upsert", "Upsert", "Upsert", "Delete", "Upsert"), ops);
    assertEquals(0, count(pg, "oplog_staging"));
    assertNull(metadata(pg, "scan_progress:items"), "scan progress cleared");
    ScanStateReply cleared =
        request(
            vertx, Addresses.OPLOG_SCAN_STATE, new ScanStateRequest("items"), ScanStateReply.class);
    assertNull(cleared.lastId());
    assertEquals(0, cleared.scanned());

    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                changes.stream()
                    .anyMatch(
                        c ->
                            c.change().equals(EntityChanged.STATUS_CHANGED)
                                && c.entity().name().equals("items")
                                && c.entity().status() == EntityStatus.live));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> heads.stream().anyMatch(h -> h.headId() == 7));

    // readers see the moved rows after the scan rows
    OplogReadReply read =
        request(
            vertx,
            Addresses.OPLOG_READ,
            new OplogReadRequest(scan1.lastId(), 100, List.of("items")),
            OplogReadReply.class);
    assertEquals(List.of("d3", "s1", "s2", "s3"), read.rows().stream().map(Oplog::docId).toList());
    assertEquals(doc("streamed 1"), read.rows().get(1).data());

    // live now: streamed entries go straight to the oplog
    AppendResult live =
        append(
            vertx, AppendBatch.stream("coll", null, List.of(upsert("items", "s4", doc("live")))));
    assertEquals(1, live.appended());
    assertEquals(8, live.lastId());

    // a repeated scan end is harmless
    ScanEndReply again =
        request(vertx, Addresses.OPLOG_SCAN_END, new ScanEndRequest("items"), ScanEndReply.class);
    assertEquals(0, again.moved());
    assertEquals(3, again.entity().version());

    assertFailure(
        requestFailure(vertx, Addresses.OPLOG_SCAN_END, new ScanEndRequest("ghost")),
        ErrorCodes.NOT_FOUND,
        "entity ghost not found");
    assertFailure(
        requestFailure(vertx, Addresses.OPLOG_SCAN_END, new ScanEndRequest(null)),
        ErrorCodes.BAD_REQUEST,
        "entity is required");
  }

  @Test
  void aShapeChangeDropsTheOldShapesStagedRowsAndScanProgress() {
    createEntity(vertx, "things");
    append(vertx, AppendBatch.stream("c", null, List.of(upsert("things", "a", doc("a")))));
    append(
        vertx,
        AppendBatch.scan(
            "things", new JsonObject().put("v", 1), List.of(upsert("things", "b", doc("b")))));
    assertEquals(1, count(pg, "oplog_staging"));
    request(
        vertx,
        Addresses.ENTITIES_UPDATE,
        new io.emcachers.core.messages.EntityUpsertRequest(
            OplogTestSupport.definition("things", "things_src", "title", "extra")),
        EntityReply.class);
    assertNull(metadata(pg, "scan_progress:things"));
    // the old shape's staged row belongs to an older epoch: the next scan end discards it
    request(vertx, Addresses.OPLOG_SCAN_END, new ScanEndRequest("things"), ScanEndReply.class);
    assertEquals(0, count(pg, "oplog_staging"));
    assertEquals(
        0,
        count(pg, "oplog WHERE entity = 'things' AND doc_id = 'a'"),
        "the old shape's staged row never reaches the oplog");
  }

  @Test
  void settingLiveDirectlyAlsoFlushesStagedRows() {
    createEntity(vertx, "direct");
    append(
        vertx,
        AppendBatch.stream(
            "c", null, List.of(upsert("direct", "a", doc("a")), upsert("direct", "b", doc("b")))));
    EntityReply live =
        request(
            vertx,
            Addresses.ENTITIES_SET_STATUS,
            new EntityStatusRequest("direct", EntityStatus.live, null),
            EntityReply.class);
    assertEquals(EntityStatus.live, live.entity().status());
    assertEquals(0, count(pg, "oplog_staging"));
    assertEquals(
        List.of("a", "b"),
        query(pg, "SELECT doc_id FROM oplog ORDER BY id").stream()
            .map(m -> m.get("doc_id"))
            .toList());
    assertTrue(
        changes.stream()
            .anyMatch(
                c ->
                    c.change().equals(EntityChanged.STATUS_CHANGED)
                        && c.entity().name().equals("direct")));
  }

  @Test
  void aRescanDeletesDocumentsItProvedGoneFromTheSource() {
    createLiveEntity(vertx, "people");
    append(
        vertx,
        AppendBatch.stream(
            "people_src",
            null,
            List.of(
                upsert("people", "a", doc("a")),
                upsert("people", "b", doc("b")),
                upsert("people", "c", doc("c")),
                upsert("people", "d", doc("d")),
                delete("people", "e"))));
    // History was lost (e.g. invalid resume token): the entity is re-scanned.
    request(
        vertx,
        Addresses.ENTITIES_SET_STATUS,
        new EntityStatusRequest("people", EntityStatus.scanning, "resume token lost"),
        EntityReply.class);
    // While scanning, a streamed delete of d arrives (staged); the scan sees only a and c.
    append(vertx, AppendBatch.stream("people_src", null, List.of(delete("people", "d"))));
    append(
        vertx,
        AppendBatch.scan(
            "people",
            new JsonObject().put("v", "c"),
            List.of(upsert("people", "a", doc("a2")), upsert("people", "c", doc("c2")))));
    ScanEndReply end =
        request(vertx, Addresses.OPLOG_SCAN_END, new ScanEndRequest("people"), ScanEndReply.class);
    assertEquals(EntityStatus.live, end.entity().status());

    List<String> tail =
        query(
                pg,
                "SELECT op || ':' || doc_id AS r FROM oplog WHERE entity = 'people' AND id > 5 ORDER BY id")
            .stream()
            .map(m -> (String) m.get("r"))
            .toList();
    // b vanished without an event: the scan end appends its delete, after the scan rows and before
    // the staged rows.
    assertEquals(List.of("Upsert:a", "Upsert:c", "Delete:b", "Delete:d"), tail);
    assertNull(metadata(pg, "scan_start:people"), "the scan start is forgotten once the scan ends");

    // A later scan of a new entity appends no deletes: nothing of it existed before its scan.
    createEntity(vertx, "fresh");
    request(
        vertx,
        Addresses.ENTITIES_SET_STATUS,
        new EntityStatusRequest("fresh", EntityStatus.scanning, null),
        EntityReply.class);
    append(
        vertx,
        AppendBatch.scan(
            "fresh", new JsonObject().put("v", 1), List.of(upsert("fresh", "x", doc("x")))));
    request(vertx, Addresses.OPLOG_SCAN_END, new ScanEndRequest("fresh"), ScanEndReply.class);
    assertEquals(0, count(pg, "oplog WHERE entity = 'fresh' AND op = 'Delete'"));
  }
}
