package io.emcachers.oplog;

import static io.emcachers.oplog.OplogTestSupport.append;
import static io.emcachers.oplog.OplogTestSupport.createLiveEntity;
import static io.emcachers.oplog.OplogTestSupport.request;
import static io.emcachers.oplog.OplogTestSupport.upsert;
import static io.emcachers.testsupport.Await.await;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.circuit.Breakers;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.core.messages.OplogReadReply;
import io.emcachers.core.messages.OplogReadRequest;
import io.emcachers.testsupport.TestVertx;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@code postgresql} circuit breaker against a real outage: PostgreSQL stops, the breaker opens
 * (health, gauge, reads failing fast with "postgresql circuit open"), PostgreSQL restarts, the
 * breaker closes and appends succeed again.
 */
@Timeout(180)
class CircuitBreakerTest extends PostgresTestBase {

  static final SimpleMeterRegistry METERS = new SimpleMeterRegistry();

  Vertx vertx;

  @BeforeAll
  static void meters() {
    Metrics.addRegistry(
        METERS); // Meters.registry() is the global registry when Vert.x metrics are off
  }

  @BeforeEach
  void setUp() {
    pg.start();
    OplogTestSupport.resetTables(pg);
    vertx = TestVertx.create();
  }

  @AfterEach
  void tearDown() {
    await(vertx.close());
  }

  @Test
  void opensDuringAnOutageFailsFastAndClosesWhenPostgresReturns() {
    JsonObject root =
        OplogTestSupport.rootConfig(pg)
            .put(
                "circuit",
                new JsonObject()
                    .put("failure_threshold", 3)
                    .put("reset_timeout_ms", 1000)
                    .put("call_timeout_ms", 5000));
    OplogTestSupport.deploy(vertx, root);
    createLiveEntity(vertx, "users");
    append(
        vertx,
        AppendBatch.stream(
            "users", null, List.of(upsert("users", "a", new JsonObject().put("n", 1)))));
    assertEquals("closed", circuit().getString("state"));
    assertEquals(0.0, gauge());

    pg.stop();
    // replicator-like reads keep coming; infrastructure failures open the breaker
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              readFailure();
              return gauge() == 2.0;
            });
    JsonObject open = circuit();
    assertTrue(List.of("open", "half-open").contains(open.getString("state")), open.encode());
    assertTrue(open.getLong("opened_total") >= 1, open.encode());
    assertNotNull(open.getString("last_failure"), open.encode());

    // while open a read is not attempted: it fails at once, UNAVAILABLE (503), naming the target
    AtomicReference<ReplyException> fast = new AtomicReference<>();
    AtomicLong tookMs = new AtomicLong();
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .until(
            () -> {
              long t0 = System.nanoTime();
              ReplyException e = readFailure();
              tookMs.set(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
              fast.set(e);
              return e != null && e.getMessage().contains("postgresql circuit open");
            });
    assertEquals(ErrorCodes.UNAVAILABLE, fast.get().failureCode());
    assertTrue(fast.get().getMessage().contains("not attempted"), fast.get().getMessage());
    assertTrue(tookMs.get() < 1000, "fails fast, took " + tookMs.get() + " ms");
    HealthReply down =
        request(vertx, Addresses.OPLOG_HEALTH, new HealthRequest(), HealthReply.class);
    assertFalse(down.details().getBoolean("postgres_reachable"));
    assertEquals("disconnected", down.state());

    pg.start();
    long restarted = System.nanoTime();
    // the writer reconnects as the breaker's probe; appends succeed again
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> tryAppend("b") != null);
    long recoveredMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restarted);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> "closed".equals(circuit().getString("state")));
    assertEquals(0.0, gauge());
    assertEquals(
        "leader",
        request(vertx, Addresses.OPLOG_HEALTH, new HealthRequest(), HealthReply.class).state());
    OplogReadReply rows =
        request(
            vertx, Addresses.OPLOG_READ, new OplogReadRequest(0, 100, null), OplogReadReply.class);
    assertTrue(
        rows.rows().stream().anyMatch(r -> "b".equals(r.docId())),
        "the append after the outage is stored");
    System.out.println(
        "CircuitBreakerTest: appends succeeded again "
            + recoveredMs
            + " ms after PostgreSQL restarted");
  }

  private JsonObject circuit() {
    HealthReply h = request(vertx, Addresses.OPLOG_HEALTH, new HealthRequest(), HealthReply.class);
    return h.details().getJsonObject("circuits").getJsonObject(Breakers.POSTGRESQL);
  }

  private static double gauge() {
    Gauge g = METERS.find(Breakers.METRIC).tag("target", Breakers.POSTGRESQL).gauge();
    return g == null ? -1 : g.value();
  }

  /** One read; its failure (null when it succeeded). */
  private ReplyException readFailure() {
    Future<OplogReadReply> f =
        Bus.request(
            vertx.eventBus(),
            Addresses.OPLOG_READ,
            new OplogReadRequest(0, 10, null),
            OplogReadReply.class,
            new DeliveryOptions().setSendTimeout(10_000));
    try {
      f.await(15, TimeUnit.SECONDS);
      return null;
    } catch (ReplyException e) {
      return e;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private AppendResult tryAppend(String docId) {
    try {
      return Bus.request(
              vertx.eventBus(),
              Addresses.OPLOG_APPEND,
              AppendBatch.stream("users", null, List.of(upsert("users", docId, new JsonObject()))),
              AppendResult.class,
              new DeliveryOptions().setSendTimeout(10_000))
          .await(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      return null;
    }
  }
}
