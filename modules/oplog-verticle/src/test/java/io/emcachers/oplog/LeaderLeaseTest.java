package io.emcachers.oplog;

import static io.emcachers.oplog.OplogTestSupport.count;
import static io.emcachers.oplog.OplogTestSupport.createEntity;
import static io.emcachers.oplog.OplogTestSupport.createLiveEntity;
import static io.emcachers.oplog.OplogTestSupport.exec;
import static io.emcachers.oplog.OplogTestSupport.query;
import static io.emcachers.oplog.OplogTestSupport.request;
import static io.emcachers.oplog.OplogTestSupport.upsert;
import static io.emcachers.testsupport.Await.await;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.bus.LeaderEpoch;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.core.messages.ScanBeginRequest;
import io.emcachers.core.messages.ScanEndRequest;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The lease on top of the advisory lock: a standby ends the session of a leader whose lease passed
 * (a frozen or partitioned leader), a leader that cannot renew deposes itself, and writes stamped
 * with an ended term are refused by the database state, not only by the node's own check.
 */
@Timeout(120)
class LeaderLeaseTest extends PostgresTestBase {

  static final long KEY = OplogConfig.DEFAULT_LEADER_LOCK_KEY;

  Vertx first;
  Vertx second;

  @BeforeEach
  void setUp() {
    OplogTestSupport.resetTables(pg);
    first = TestVertx.create();
    second = TestVertx.create();
  }

  @AfterEach
  void tearDown() {
    await(first.close());
    await(second.close());
  }

  private static JsonObject config(String node) {
    JsonObject root = OplogTestSupport.rootConfig(pg).put("node_id", node);
    root.getJsonObject("oplog")
        .put("standby_retry_ms", 100)
        .put("lease_renew_ms", 200)
        .put("lease_ttl_ms", 1000);
    return root;
  }

  private static HealthReply local(Vertx vertx) {
    return request(vertx, Addresses.OPLOG_LEADER_LOCAL, new HealthRequest(), HealthReply.class);
  }

  private static long epoch(Vertx vertx) {
    return local(vertx).details().getLong("leader_epoch");
  }

  private static long leaseEpoch() {
    return ((Number)
            query(pg, "SELECT epoch FROM leader_lease WHERE lock_key = " + KEY).get(0).get("epoch"))
        .longValue();
  }

  /** Sends {@code body} stamped with {@code epoch}; the failure, or fails when it succeeds. */
  private static ReplyException stampedFailure(Vertx vertx, String address, Object body, long e) {
    try {
      Object reply =
          await(
                  vertx
                      .eventBus()
                      .request(address, body, LeaderEpoch.stamp(new DeliveryOptions(), e)))
              .body();
      return fail("expected " + address + " stamped " + e + " to be refused, got " + reply);
    } catch (RuntimeException ex) {
      return assertInstanceOf(ReplyException.class, ex, "failure of " + address);
    }
  }

  private static AppendResult stampedAppend(Vertx vertx, AppendBatch batch, long e) {
    return await(
            vertx
                .eventBus()
                .<AppendResult>request(
                    Addresses.OPLOG_APPEND, batch, LeaderEpoch.stamp(new DeliveryOptions(), e)))
        .body();
  }

  @Test
  void aStandbyEndsTheSessionOfALeaderWhoseLeaseHasPassedAndTakesOverWithTheNextEpoch()
      throws Exception {
    // a first term creates the schema and the lease row; then the lock is free again
    OplogTestSupport.deploy(first, config("node-0"));
    long firstTerm = epoch(first);
    await(first.close());
    first = TestVertx.create();

    // a "frozen leader": a session that holds the lock and claimed the lease, then stops renewing
    try (Connection frozen = OplogTestSupport.jdbc(pg);
        Statement st = frozen.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT pg_try_advisory_lock(" + KEY + ")")) {
        rs.next();
        assertTrue(rs.getBoolean(1), "the test session holds the leader lock");
      }
      st.executeUpdate(
          "UPDATE leader_lease SET epoch = epoch + 1, node_id = 'frozen', backend_pid = pg_backend_pid(),"
              + " renewed_at = now(), expires_at = now() + interval '1500 milliseconds'"
              + " WHERE lock_key = "
              + KEY);

      OplogTestSupport.deploy(second, config("node-2"));
      assertEquals(
          "standby", local(second).state(), "a valid lease is never taken over, however idle");

      await().atMost(Duration.ofSeconds(10)).until(() -> "leader".equals(local(second).state()));
      assertFalse(frozen.isValid(2), "the frozen leader's session was ended");
    }
    assertEquals(firstTerm + 2, epoch(second), "the new term follows the frozen one's");
    assertEquals(firstTerm + 2, leaseEpoch());
    assertEquals(
        "node-2",
        query(pg, "SELECT node_id FROM leader_lease WHERE lock_key = " + KEY)
            .get(0)
            .get("node_id"));
  }

  @Test
  void aStandbyWithoutThePrivilegeToEndTheFrozenLeaderSaysSoOnceAndKeepsLooking() throws Exception {
    OplogTestSupport.deploy(first, config("node-0"));
    await(first.close());
    first = TestVertx.create();
    exec(pg, "DROP ROLE IF EXISTS emc_weak");
    exec(pg, "CREATE ROLE emc_weak LOGIN");
    exec(pg, "GRANT ALL ON ALL TABLES IN SCHEMA public TO emc_weak");
    exec(pg, "GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO emc_weak");
    exec(pg, "GRANT CREATE ON SCHEMA public TO emc_weak");
    try (Connection frozen = OplogTestSupport.jdbc(pg);
        Statement st = frozen.createStatement()) {
      // the frozen leader runs as a superuser: a plain role may never end its backend
      st.executeQuery("SELECT pg_try_advisory_lock(" + KEY + ")").close();
      st.executeUpdate(
          "UPDATE leader_lease SET epoch = epoch + 1, node_id = 'frozen', backend_pid = pg_backend_pid(),"
              + " renewed_at = now(), expires_at = now() - interval '1 second'"
              + " WHERE lock_key = "
              + KEY);
      JsonObject weak = config("node-weak");
      JsonObject pgSection = weak.getJsonObject("postgres");
      pgSection.put("url", pgSection.getString("url").replace("//postgres@", "//emc_weak@"));
      assertTrue(pgSection.getString("url").contains("emc_weak@"), pgSection.getString("url"));
      OplogTestSupport.deploy(second, weak);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> local(second).details().getLong("takeovers_refused", 0L) >= 1);
      JsonObject d = local(second).details();
      assertEquals("standby", local(second).state());
      assertTrue(
          d.getString("last_error").contains("GRANT pg_signal_backend"),
          "the error names the fix: " + d.getString("last_error"));
      assertTrue(frozen.isValid(2), "the frozen session was not ended");
      // it keeps looking at the standby pace (100 ms), not in a tight loop: three more refusals
      // take at least two retry intervals
      long refused = d.getLong("takeovers_refused");
      long since = System.nanoTime();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> local(second).details().getLong("takeovers_refused") >= refused + 3);
      long elapsedMs = (System.nanoTime() - since) / 1_000_000;
      assertTrue(elapsedMs >= 200, "three refusals in " + elapsedMs + " ms");
      assertTrue(frozen.isValid(2));
    }
    // once the frozen session ends some other way, the standby takes the lock
    await().atMost(Duration.ofSeconds(10)).until(() -> "leader".equals(local(second).state()));
  }

  @Test
  void aLockHolderThatIsNotTheLeaseholderIsNeverEnded() throws Exception {
    OplogTestSupport.deploy(first, config("node-0"));
    await(first.close());
    first = TestVertx.create();
    try (Connection other = OplogTestSupport.jdbc(pg);
        Statement st = other.createStatement()) {
      st.executeQuery("SELECT pg_try_advisory_lock(" + KEY + ")").close();
      // the lease passed long ago, but it names another backend than the lock's holder (a holder
      // that has not claimed it yet, or an older version): not evidence of a frozen leader
      st.executeUpdate(
          "UPDATE leader_lease SET expires_at = now() - interval '1 hour', backend_pid = 1"
              + " WHERE lock_key = "
              + KEY);
      OplogTestSupport.deploy(second, config("node-2"));
      // five lease lengths: the standby looks every 100 ms all along
      long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      await()
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                assertEquals("standby", local(second).state());
                assertTrue(other.isValid(2), "the lock holder's session is left alone");
                return System.nanoTime() > until;
              });
    }
  }

  @Test
  void aLeaderThatCannotRenewDeposesItselfAndAWriteOfItsTermIsNeverCommitted() throws Exception {
    OplogTestSupport.deploy(first, config("node-1"));
    createLiveEntity(first, "users");
    long term = epoch(first);
    assertEquals(1, stampedAppend(first, batchOf("u0"), term).appended());

    try (Connection blocker = OplogTestSupport.jdbc(pg);
        Statement st = blocker.createStatement()) {
      // the leader's renewal waits on this row lock: to PostgreSQL the leader is now hung
      blocker.setAutoCommit(false);
      st.executeQuery("SELECT * FROM leader_lease WHERE lock_key = " + KEY + " FOR UPDATE").close();
      await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () ->
                  count(
                          pg,
                          "pg_stat_activity WHERE wait_event_type = 'Lock'"
                              + " AND query LIKE 'UPDATE leader_lease%'")
                      == 1);
      var queued =
          first
              .eventBus()
              .request(
                  Addresses.OPLOG_APPEND,
                  batchOf("u-queued"),
                  LeaderEpoch.stamp(new DeliveryOptions(), term));
      await().atMost(Duration.ofSeconds(10)).until(() -> !"leader".equals(local(first).state()));
      ReplyException refused =
          assertInstanceOf(
              ReplyException.class,
              await(queued.transform(ar -> io.vertx.core.Future.succeededFuture(ar.cause()))));
      assertTrue(
          refused.failureCode() == ErrorCodes.UNAVAILABLE
              || refused.failureCode() == ErrorCodes.NOT_LEADER,
          "the write queued behind the stuck renewal fails: " + refused.getMessage());
      blocker.rollback();
    }
    // its own stuck backend is an expired leaseholder: the node ends it and leads a new term
    await().atMost(Duration.ofSeconds(15)).until(() -> "leader".equals(local(first).state()));
    long next = epoch(first);
    assertTrue(next > term, "a new term: " + next + " after " + term);

    // the state turns "leader" a moment before the new term's append consumer is registered; until
    // then a request finds no handler, which a client retries like any unavailable leader
    ReplyException stale =
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () -> stampedFailure(first, Addresses.OPLOG_APPEND, batchOf("u-stale"), term),
                e -> e.failureType() != ReplyFailure.NO_HANDLERS);
    assertEquals(ErrorCodes.NOT_LEADER, stale.failureCode(), stale.getMessage());
    assertEquals(1, stampedAppend(first, batchOf("u1"), next).appended());
    assertEquals(
        List.of("u0", "u1"),
        query(pg, "SELECT doc_id FROM oplog WHERE entity = 'users' ORDER BY id").stream()
            .map(r -> r.get("doc_id"))
            .toList(),
        "neither the queued nor the stale write was committed");
  }

  @Test
  void aScanBatchAndScanEndOfAnEndedTermAreRefusedByTheDatabaseState() {
    OplogTestSupport.deploy(first, config("node-1"));
    createEntity(first, "items");
    long term = epoch(first);
    EntityReply begun =
        await(
                first
                    .eventBus()
                    .<EntityReply>request(
                        Addresses.OPLOG_SCAN_BEGIN,
                        new ScanBeginRequest("items", "test"),
                        LeaderEpoch.stamp(new DeliveryOptions(), term)))
            .body();
    long scanEpoch = begun.entity().epoch();
    AppendBatch scanBatch =
        AppendBatch.scan(
            "items",
            scanEpoch,
            new JsonObject().put("v", "a"),
            List.of(upsert("items", "a", new JsonObject())));
    assertEquals(1, stampedAppend(first, scanBatch, term).appended());

    // another term in the database (what a new leader's claim does); this node has not noticed yet,
    // so its own check passes and only the database can refuse
    exec(pg, "UPDATE leader_lease SET epoch = epoch + 1 WHERE lock_key = " + KEY);
    AppendBatch next =
        AppendBatch.scan(
            "items",
            scanEpoch,
            new JsonObject().put("v", "b"),
            List.of(upsert("items", "b", new JsonObject())));
    ReplyException refused = stampedFailure(first, Addresses.OPLOG_APPEND, next, term);
    assertEquals(ErrorCodes.NOT_LEADER, refused.failureCode(), refused.getMessage());
    ReplyException endRefused =
        stampedFailure(
            first, Addresses.OPLOG_SCAN_END, new ScanEndRequest("items", scanEpoch), term);
    assertEquals(ErrorCodes.NOT_LEADER, endRefused.failureCode(), endRefused.getMessage());

    assertEquals(1L, count(pg, "oplog WHERE entity = 'items'"), "only the first scan row");
    assertEquals(
        "scanning",
        query(pg, "SELECT status FROM entities WHERE name = 'items'").get(0).get("status"),
        "the refused scan end changed nothing");
    // the renewal finds the lease is no longer this session's: the node deposes itself
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !"leader".equals(local(first).state()) || epoch(first) > term);
  }

  private static AppendBatch batchOf(String docId) {
    return AppendBatch.stream("users", null, List.of(upsert("users", docId, new JsonObject())));
  }
}
