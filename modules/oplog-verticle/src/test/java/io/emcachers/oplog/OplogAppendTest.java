package io.emcachers.oplog;

import static io.emcachers.oplog.OplogTestSupport.append;
import static io.emcachers.oplog.OplogTestSupport.assertFailure;
import static io.emcachers.oplog.OplogTestSupport.count;
import static io.emcachers.oplog.OplogTestSupport.createLiveEntity;
import static io.emcachers.oplog.OplogTestSupport.delete;
import static io.emcachers.oplog.OplogTestSupport.exec;
import static io.emcachers.oplog.OplogTestSupport.metadata;
import static io.emcachers.oplog.OplogTestSupport.query;
import static io.emcachers.oplog.OplogTestSupport.request;
import static io.emcachers.oplog.OplogTestSupport.requestFailure;
import static io.emcachers.oplog.OplogTestSupport.upsert;
import static io.emcachers.testsupport.Await.await;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.core.messages.OplogAppended;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.messages.OplogReadReply;
import io.emcachers.core.messages.OplogReadRequest;
import io.emcachers.core.messages.ResumeTokenReply;
import io.emcachers.core.messages.ResumeTokenRequest;
import io.emcachers.core.model.Operation;
import io.emcachers.core.model.Oplog;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class OplogAppendTest extends PostgresTestBase {

  Vertx vertx;
  final List<OplogAppended> heads = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() {
    OplogTestSupport.resetTables(pg);
    vertx = TestVertx.create();
    vertx.eventBus().<OplogAppended>consumer(Addresses.OPLOG_APPENDED, m -> heads.add(m.body()));
    JsonObject root = OplogTestSupport.rootConfig(pg);
    root.getJsonObject("oplog").put("max_batch_entries", 5).put("read_max_rows", 3);
    OplogTestSupport.deploy(vertx, root);
    createLiveEntity(vertx, "users");
    createLiveEntity(vertx, "orders");
  }

  @AfterEach
  void tearDown() {
    exec(pg, "DROP TRIGGER IF EXISTS boom ON oplog");
    await(vertx.close());
  }

  @Test
  void appendWritesRowsAndTokenInOneTransactionAndAcks() {
    assertEquals(
        new JsonObject(),
        request(
                vertx,
                Addresses.OPLOG_RESUME_TOKEN,
                new ResumeTokenRequest(),
                ResumeTokenReply.class)
            .tokens(),
        "no token yet: empty map");

    JsonObject t1 = new JsonObject().put("_data", "8263A1");
    AppendResult r1 =
        append(
            vertx,
            AppendBatch.stream(
                "users",
                t1,
                List.of(
                    upsert("users", "u1", new JsonObject().put("name", "Ann").put("age", 31)),
                    upsert("users", "u2", new JsonObject().put("name", "Bob")),
                    delete("users", "u1"))));
    assertEquals(3, r1.lastId());
    assertEquals(3, r1.headId());
    assertEquals(3, r1.appended());
    assertEquals(0, r1.staged());
    assertEquals("users", r1.stream());
    assertEquals(t1, r1.resumeToken());

    List<Map<String, Object>> rows =
        query(pg, "SELECT id, op, entity, doc_id, data::text AS data FROM oplog ORDER BY id");
    assertEquals(3, rows.size());
    assertEquals(
        List.of("u1", "u2", "u1"),
        rows.stream().map(r -> r.get("doc_id")).toList(),
        "batch order kept");
    assertEquals(
        List.of("Upsert", "Upsert", "Delete"), rows.stream().map(r -> r.get("op")).toList());
    assertEquals(
        new JsonObject().put("name", "Ann").put("age", 31),
        new JsonObject((String) rows.get(0).get("data")));
    assertNull(rows.get(2).get("data"));
    assertEquals(new JsonObject().put("users", t1), metadata(pg, "mongo_resume_token"));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> heads.stream().anyMatch(h -> h.headId() == 3));

    JsonObject t2 = new JsonObject().put("_data", "99");
    AppendResult r2 =
        append(
            vertx,
            AppendBatch.stream(
                "orders", t2, List.of(upsert("orders", "o1", new JsonObject().put("total", 5)))));
    assertEquals(4, r2.lastId());
    assertEquals(t2, r2.resumeToken());
    JsonObject t3 = new JsonObject().put("_data", "8263A2");
    AppendResult r3 = append(vertx, AppendBatch.stream("users", t3, List.of()));
    assertEquals(0, r3.lastId(), "an empty batch writes no row");
    assertEquals(4, r3.headId());
    assertEquals(t3, r3.resumeToken());
    AppendResult r4 =
        append(
            vertx,
            AppendBatch.stream("orders", null, List.of(upsert("orders", "o2", new JsonObject()))));
    assertEquals(t2, r4.resumeToken(), "no new token: the stored one is reported");

    JsonObject tokens =
        request(
                vertx,
                Addresses.OPLOG_RESUME_TOKEN,
                new ResumeTokenRequest(),
                ResumeTokenReply.class)
            .tokens();
    assertEquals(
        new JsonObject().put("users", t3).put("orders", t2), tokens, "the map merges streams");
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> heads.stream().anyMatch(h -> h.headId() == 5));
  }

  @Test
  void entriesOfUnknownOrDeletedEntitiesAreDroppedAndCounted() {
    AppendResult r =
        append(
            vertx,
            AppendBatch.stream(
                "s",
                new JsonObject().put("t", 1),
                List.of(
                    upsert("users", "u1", new JsonObject()),
                    upsert("nobody", "x", new JsonObject()),
                    upsert("orders", "o1", new JsonObject()))));
    assertEquals(2, r.appended());
    assertEquals(0, r.staged());
    assertEquals(2, r.lastId());
    assertEquals(
        List.of("users", "orders"),
        query(pg, "SELECT entity FROM oplog ORDER BY id").stream()
            .map(m -> m.get("entity"))
            .toList());
    HealthReply health =
        request(vertx, Addresses.OPLOG_HEALTH, new HealthRequest(), HealthReply.class);
    assertEquals(1, health.details().getLong("dropped_total"));
  }

  @Test
  void invalidBatchesFailBadRequestAndWriteNothing() {
    append(
        vertx,
        AppendBatch.stream(
            "users",
            new JsonObject().put("t", 0),
            List.of(upsert("users", "a", new JsonObject()))));
    JsonObject tokenBefore = metadata(pg, "mongo_resume_token");
    JsonObject t = new JsonObject().put("t", 1);

    // A batch without a known kind cannot be built any more; decoding one is refused BAD_REQUEST.
    assertKindRefused(
        new JsonObject()
            .put("stream", "users")
            .put("resume_token", t)
            .put("entries", new JsonArray()),
        "kind is required");
    assertKindRefused(
        new JsonObject()
            .put("kind", "bulk")
            .put("stream", "users")
            .put("resume_token", t)
            .put("entries", new JsonArray()),
        "kind must be stream or scan");
    assertFailure(
        requestFailure(vertx, Addresses.OPLOG_APPEND, AppendBatch.stream(null, t, List.of())),
        ErrorCodes.BAD_REQUEST,
        "stream is required when resume_token is set");
    List<OplogEntry> six = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      six.add(upsert("users", "m" + i, new JsonObject()));
    }
    assertFailure(
        requestFailure(vertx, Addresses.OPLOG_APPEND, AppendBatch.stream("users", t, six)),
        ErrorCodes.BAD_REQUEST,
        "batch has 6 entries, more than oplog.max_batch_entries (5)");
    assertFailure(
        requestFailure(
            vertx,
            Addresses.OPLOG_APPEND,
            AppendBatch.scan("users", null, List.of(upsert("users", "s", new JsonObject())))),
        ErrorCodes.BAD_REQUEST,
        "scan_last_id is required");
    assertFailure(
        requestFailure(
            vertx,
            Addresses.OPLOG_APPEND,
            AppendBatch.scan(
                "users",
                new JsonObject().put("v", 1),
                List.of(upsert("orders", "s", new JsonObject())))),
        ErrorCodes.BAD_REQUEST,
        "entries[0].entity must be the scan entity 'users'");
    assertFailure(
        requestFailure(vertx, Addresses.OPLOG_APPEND, new ResumeTokenRequest()),
        ErrorCodes.BAD_REQUEST,
        "expected AppendBatch");

    assertEquals(1, count(pg, "oplog"), "nothing written");
    assertEquals(tokenBefore, metadata(pg, "mongo_resume_token"), "token untouched");
  }

  @Test
  void entriesThatCannotBeStoredAreRejectedWhileTheRestOfTheBatchAndItsTokenCommit() {
    JsonObject t = new JsonObject().put("t", 7);
    AppendResult r =
        append(
            vertx,
            AppendBatch.stream(
                "users",
                t,
                List.of(
                    upsert("users", "ok1", new JsonObject()),
                    new OplogEntry(Operation.Upsert, "users", "c", null),
                    new OplogEntry(null, "users", "c2", null),
                    new OplogEntry(Operation.Delete, "users", null, null),
                    new OplogEntry(Operation.Delete, null, "d", null))));
    assertEquals(1, r.appended(), "the storable entries commit");
    assertEquals(
        t,
        r.resumeToken(),
        "and the position moves past the rejected ones: they are never retried");
    assertEquals(4, r.rejected().size());
    JsonObject first = r.rejected().getJsonObject(0);
    assertEquals(1, first.getInteger("index"));
    assertEquals("c", first.getString("doc_id"));
    assertTrue(first.getString("reason").contains("an Upsert needs data"), first.encode());
    assertTrue(r.rejected().getJsonObject(1).getString("reason").contains("operation is required"));
    assertTrue(r.rejected().getJsonObject(2).getString("reason").contains("doc_id is required"));
    assertTrue(r.rejected().getJsonObject(3).getString("reason").contains("entity is required"));

    JsonObject t2 = new JsonObject().put("t", 8);
    AppendResult r2 =
        append(
            vertx,
            AppendBatch.stream(
                "users",
                t2,
                List.of(
                    upsert("users", "n", new JsonObject().put("s", "a\u0000b")),
                    upsert("users", "k\u0000", new JsonObject()),
                    upsert("users", "ok2", new JsonObject()))));
    assertEquals(1, r2.appended());
    assertEquals(t2, r2.resumeToken());
    assertEquals(2, r2.rejected().size());
    assertTrue(r2.rejected().getJsonObject(0).getString("reason").contains("NUL"));
    assertEquals("n", r2.rejected().getJsonObject(0).getString("doc_id"));
    assertTrue(
        r2.rejected().getJsonObject(1).getString("reason").contains("doc_id contains a NUL"));
    assertEquals(
        List.of("ok1", "ok2"),
        query(pg, "SELECT doc_id FROM oplog ORDER BY id").stream()
            .map(m -> m.get("doc_id"))
            .toList());
  }

  @Test
  void aFailingBatchCommitsNeitherRowsNorToken() {
    exec(
        pg,
        """
        CREATE OR REPLACE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.doc_id = 'boom' THEN RAISE EXCEPTION 'boom row refused'; END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER boom BEFORE INSERT ON oplog FOR EACH ROW EXECUTE FUNCTION boom();
        """);
    append(
        vertx,
        AppendBatch.stream(
            "users",
            new JsonObject().put("t", "before"),
            List.of(upsert("users", "a", new JsonObject()))));
    var failure =
        requestFailure(
            vertx,
            Addresses.OPLOG_APPEND,
            AppendBatch.stream(
                "users",
                new JsonObject().put("t", "after"),
                List.of(
                    upsert("users", "b", new JsonObject()),
                    upsert("users", "boom", new JsonObject()))));
    assertFailure(failure, ErrorCodes.INTERNAL, "boom row refused");
    assertEquals(
        List.of("a"),
        query(pg, "SELECT doc_id FROM oplog").stream().map(m -> m.get("doc_id")).toList(),
        "no row of the failed batch");
    assertEquals(
        new JsonObject().put("users", new JsonObject().put("t", "before")),
        metadata(pg, "mongo_resume_token"),
        "token not advanced");

    // the writer connection is still usable afterwards
    AppendResult next =
        append(
            vertx,
            AppendBatch.stream(
                "users",
                new JsonObject().put("t", "next"),
                List.of(upsert("users", "c", new JsonObject()))));
    assertEquals(1, next.appended());
  }

  @Test
  void aStreamBatchCommitsOnlyAfterTheTokenItFollows() {
    JsonObject t1 = new JsonObject().put("t", 1);
    JsonObject t2 = new JsonObject().put("t", 2);
    JsonObject t3 = new JsonObject().put("t", 3);
    // nothing stored yet: a batch that follows "no token" commits
    AppendResult first =
        append(
            vertx,
            AppendBatch.streamAfter(
                "users", null, t1, List.of(upsert("users", "a", new JsonObject()))));
    assertEquals(t1, first.resumeToken());
    // batch 2 was lost in flight (never committed); batch 3, which follows t2, must not commit
    var conflict =
        requestFailure(
            vertx,
            Addresses.OPLOG_APPEND,
            AppendBatch.streamAfter(
                "users", t2, t3, List.of(upsert("users", "c", new JsonObject()))));
    assertFailure(conflict, ErrorCodes.CONFLICT, "did not commit");
    assertEquals(
        List.of("a"),
        query(pg, "SELECT doc_id FROM oplog ORDER BY id").stream()
            .map(m -> m.get("doc_id"))
            .toList(),
        "nothing of the refused batch");
    assertEquals(
        new JsonObject().put("users", t1),
        metadata(pg, "mongo_resume_token"),
        "the stored position did not jump over the lost batch");
    // re-sent in order, both commit; a batch without a new token keeps the position and its
    // successor still follows it
    append(
        vertx,
        AppendBatch.streamAfter("users", t1, t2, List.of(upsert("users", "b", new JsonObject()))));
    append(
        vertx,
        AppendBatch.streamAfter(
            "users", t2, null, List.of(upsert("users", "b2", new JsonObject()))));
    AppendResult third =
        append(
            vertx,
            AppendBatch.streamAfter(
                "users", t2, t3, List.of(upsert("users", "c", new JsonObject()))));
    assertEquals(t3, third.resumeToken());
    // another stream's token is independent; "no token stored" is checked per stream
    append(
        vertx,
        AppendBatch.streamAfter(
            "orders", null, t1, List.of(upsert("users", "o", new JsonObject()))));
    assertFailure(
        requestFailure(
            vertx, Addresses.OPLOG_APPEND, AppendBatch.streamAfter("orders", null, t2, List.of())),
        ErrorCodes.CONFLICT,
        "orders");
    assertEquals(
        List.of("a", "b", "b2", "c", "o"),
        query(pg, "SELECT doc_id FROM oplog ORDER BY id").stream()
            .map(m -> m.get("doc_id"))
            .toList());
  }

  @Test
  void readsRowsAfterAnIdInOrderWithLimitCapAndEntityFilter() {
    append(
        vertx,
        AppendBatch.stream(
            "s",
            null,
            List.of(
                upsert("users", "u1", new JsonObject().put("n", 1)),
                upsert("orders", "o1", new JsonObject().put("n", 2)),
                upsert("users", "u2", new JsonObject().put("n", 3)),
                delete("orders", "o1"),
                upsert("users", "u3", new JsonObject().put("n", 5)))));

    OplogReadReply page1 =
        request(
            vertx, Addresses.OPLOG_READ, new OplogReadRequest(0, 2, null), OplogReadReply.class);
    assertEquals(List.of(1L, 2L), page1.rows().stream().map(Oplog::id).toList());
    assertEquals(5, page1.headId());
    assertEquals(2, page1.nextAfter());
    Oplog first = page1.rows().get(0);
    assertEquals(Operation.Upsert, first.operation());
    assertEquals("users", first.entity());
    assertEquals("u1", first.docId());
    assertEquals(new JsonObject().put("n", 1), first.data());
    assertTrue(first.createdAt() != null);

    OplogReadReply capped =
        request(
            vertx,
            Addresses.OPLOG_READ,
            new OplogReadRequest(page1.nextAfter(), 1000, null),
            OplogReadReply.class);
    assertEquals(
        List.of(3L, 4L, 5L),
        capped.rows().stream().map(Oplog::id).toList(),
        "limit capped at read_max_rows = 3");
    assertNull(capped.rows().get(1).data());
    assertEquals(Operation.Delete, capped.rows().get(1).operation());

    OplogReadReply end =
        request(
            vertx, Addresses.OPLOG_READ, new OplogReadRequest(5, 10, null), OplogReadReply.class);
    assertTrue(end.rows().isEmpty());
    assertEquals(5, end.nextAfter(), "no rows: next_after is the request's after");
    assertEquals(5, end.headId());

    OplogReadReply users =
        request(
            vertx,
            Addresses.OPLOG_READ,
            new OplogReadRequest(0, 10, List.of("users")),
            OplogReadReply.class);
    assertEquals(List.of(1L, 3L, 5L), users.rows().stream().map(Oplog::id).toList());
    OplogReadReply none =
        request(
            vertx,
            Addresses.OPLOG_READ,
            new OplogReadRequest(0, 10, List.of()),
            OplogReadReply.class);
    assertTrue(none.rows().isEmpty());
    assertEquals(5, none.headId());

    assertFailure(
        requestFailure(vertx, Addresses.OPLOG_READ, new OplogReadRequest(0, 0, null)),
        ErrorCodes.BAD_REQUEST,
        "limit must be >= 1");
    assertFailure(
        requestFailure(vertx, Addresses.OPLOG_READ, new OplogReadRequest(-1, 5, null)),
        ErrorCodes.BAD_REQUEST,
        "after must be >= 0");
  }

  @Test
  void healthReportsLeaderNodeHeadAndJobs() {
    append(vertx, AppendBatch.stream("s", null, List.of(upsert("users", "u1", new JsonObject()))));
    HealthReply local =
        request(vertx, Addresses.OPLOG_LEADER_LOCAL, new HealthRequest(), HealthReply.class);
    assertEquals("oplog", local.component());
    assertEquals("leader", local.state());
    assertTrue(local.ok());
    HealthReply health =
        request(vertx, Addresses.OPLOG_HEALTH, new HealthRequest(), HealthReply.class);
    assertEquals("leader", health.state());
    assertEquals("test-node", health.details().getString("node"));
    assertEquals(1, health.details().getLong("head_id"));
    assertTrue(health.details().getLong("uptime_ms") >= 0);
    assertTrue(health.details().containsKey("last_error"));
    assertTrue(
        health.details().getJsonArray("jobs").stream()
            .map(j -> ((JsonObject) j).getString("name"))
            .toList()
            .containsAll(List.of(OplogVerticle.REFRESH_JOB, OplogVerticle.COMPACTION_JOB)),
        health.details().encode());
  }

  /**
   * The wire decoder refuses a batch without a known kind; {@code Bus.handle} answers that failure
   * with its code and text.
   */
  private static void assertKindRefused(JsonObject wire, String text) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> AppendBatch.fromJson(wire));
    assertEquals(ErrorCodes.BAD_REQUEST, Bus.codeOf(e));
    assertTrue(Bus.textOf(e).contains(text), Bus.textOf(e));
  }
}
