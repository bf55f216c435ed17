package io.emcachers.core.circuit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.BusException;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.metrics.Meters;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BreakerTest {

  static final SimpleMeterRegistry SIMPLE = new SimpleMeterRegistry();

  Vertx vertx;
  Breaker breaker;

  @BeforeAll
  static void registry() {
    Metrics.addRegistry(SIMPLE);
  }

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (breaker != null) {
      breaker.close();
    }
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /**
   * A "SQLSTATE" carrier like the PostgreSQL client's DatabaseException, classified by the target's
   * predicate.
   */
  static final class StateError extends RuntimeException {
    final String state;

    StateError(String state) {
      super("server error " + state);
      this.state = state;
    }
  }

  static boolean pgLike(Throwable t) {
    return t instanceof StateError se && FailurePolicy.isInfrastructureSqlState(se.state);
  }

  @Test
  void failurePolicyCountsOnlyInfrastructure() {
    assertTrue(FailurePolicy.isInfrastructure(new ConnectException("Connection refused"), null));
    assertTrue(
        FailurePolicy.isInfrastructure(
            new VertxException("wrapped", new IOException("reset by peer")), null));
    assertTrue(FailurePolicy.isInfrastructure(new TimeoutException("no answer"), null));
    assertTrue(FailurePolicy.isInfrastructure(new StateError("08006"), BreakerTest::pgLike));
    assertTrue(FailurePolicy.isInfrastructure(new StateError("53300"), BreakerTest::pgLike));
    assertTrue(FailurePolicy.isInfrastructure(new StateError("57P01"), BreakerTest::pgLike));
    // unavailability wrapped for the bus still counts through its cause
    assertTrue(
        FailurePolicy.isInfrastructure(
            new BusException(ErrorCodes.UNAVAILABLE, "x", new ConnectException("refused")), null));

    assertFalse(FailurePolicy.isInfrastructure(null, null));
    assertFalse(
        FailurePolicy.isInfrastructure(
            new StateError("23505"), BreakerTest::pgLike)); // unique violation
    assertFalse(
        FailurePolicy.isInfrastructure(
            new StateError("40001"), BreakerTest::pgLike)); // serialization failure
    assertFalse(
        FailurePolicy.isInfrastructure(new StateError("40P01"), BreakerTest::pgLike)); // deadlock
    assertFalse(
        FailurePolicy.isInfrastructure(new StateError("42601"), BreakerTest::pgLike)); // syntax
    for (int code :
        new int[] {
          ErrorCodes.CONFLICT,
          ErrorCodes.STALE,
          ErrorCodes.VALIDATION,
          ErrorCodes.NOT_FOUND,
          ErrorCodes.BAD_REQUEST,
          ErrorCodes.NOT_LEADER
        }) {
      assertFalse(
          FailurePolicy.isInfrastructure(new BusException(code, "business"), null), "code " + code);
      assertFalse(
          FailurePolicy.isInfrastructure(
              new BusException(code, "business", new IOException("x")), null),
          "code " + code);
    }
    // our own decisions (queue full, not leader) and the breaker's refusals never count
    assertFalse(
        FailurePolicy.isInfrastructure(
            new BusException(ErrorCodes.UNAVAILABLE, "queue full"), null));
    assertFalse(
        FailurePolicy.isInfrastructure(
            new CircuitOpenException("postgresql", "postgresql circuit open: x"), null));
  }

  @Test
  void opensFailsFastProbesAndCloses() throws Exception {
    breaker =
        Breakers.create(
            vertx, "test-target", new BreakerConfig(3, 300, 0, 10_000), BreakerTest::pgLike);
    assertEquals(0, gauge("test-target"));
    AtomicInteger attempts = new AtomicInteger();

    // business outcomes do not count, however many
    for (int i = 0; i < 5; i++) {
      Throwable e =
          failure(
              breaker.call(
                  "create entity",
                  () -> {
                    attempts.incrementAndGet();
                    return Future.failedFuture(new BusException(ErrorCodes.CONFLICT, "exists"));
                  }));
      assertEquals(ErrorCodes.CONFLICT, ((BusException) e).code());
    }
    assertEquals(Breaker.CircuitState.CLOSED, breaker.state());
    assertEquals(0, breaker.failures());

    for (int i = 0; i < 3; i++) {
      failure(
          breaker.call(
              "read",
              () -> {
                attempts.incrementAndGet();
                return Future.failedFuture(new ConnectException("Connection refused"));
              }));
    }
    assertEquals(Breaker.CircuitState.OPEN, breaker.state());
    assertEquals(2, gauge("test-target"));
    assertEquals(8, attempts.get());

    // open: not attempted, a clear error naming the target, UNAVAILABLE
    Throwable fast =
        failure(
            breaker.call(
                "read oplog",
                () -> {
                  attempts.incrementAndGet();
                  return Future.succeededFuture("never");
                }));
    assertInstanceOf(CircuitOpenException.class, fast);
    assertEquals(ErrorCodes.UNAVAILABLE, ((BusException) fast).code());
    assertTrue(
        fast.getMessage().startsWith("test-target circuit open: read oplog not attempted"),
        fast.getMessage());
    assertTrue(fast.getMessage().contains("Connection refused"), fast.getMessage());
    assertEquals(8, attempts.get());
    JsonObject health = Breakers.health().getJsonObject("test-target");
    assertEquals("open", health.getString("state"));
    assertEquals(1L, health.getLong("rejected_total"));

    // half-open after the reset timeout; a failing probe opens it again
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> breaker.state() == Breaker.CircuitState.HALF_OPEN);
    assertEquals(1, gauge("test-target"));
    failure(breaker.call("probe", () -> Future.failedFuture(new StateError("57P03"))));
    assertEquals(Breaker.CircuitState.OPEN, breaker.state());

    // half-open again; while the probe runs, other calls fail fast; a successful probe closes it
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> breaker.state() == Breaker.CircuitState.HALF_OPEN);
    Promise<String> probe = Promise.promise();
    Future<String> probing = breaker.call("probe", () -> probe.future());
    assertInstanceOf(
        CircuitOpenException.class,
        failure(breaker.call("other", () -> Future.succeededFuture("x"))));
    probe.complete("ok");
    assertEquals("ok", probing.await(5, TimeUnit.SECONDS));
    assertEquals(Breaker.CircuitState.CLOSED, breaker.state());
    assertEquals(0, gauge("test-target"));
    assertEquals(
        "yes",
        breaker.call("after", () -> Future.succeededFuture("yes")).await(5, TimeUnit.SECONDS));
  }

  @Test
  void businessErrorAsProbeClosesAndCallTimeoutCounts() {
    breaker = Breakers.create(vertx, "test-timeout", new BreakerConfig(2, 200, 100, 10_000), null);
    // a call that never answers fails with a timeout after call_timeout_ms, and that counts
    for (int i = 0; i < 2; i++) {
      Throwable e = failure(breaker.call("hang", () -> Promise.<String>promise().future()));
      assertInstanceOf(TimeoutException.class, e);
      assertTrue(
          e.getMessage().contains("no answer from test-timeout within 100 ms"), e.getMessage());
    }
    assertEquals(Breaker.CircuitState.OPEN, breaker.state());
    // untimed work is not cut by the call timeout
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> breaker.state() == Breaker.CircuitState.HALF_OPEN);
    Promise<String> slow = Promise.promise();
    Future<String> f = breaker.callUntimed("long write", slow::future);
    vertx.setTimer(300, id -> slow.fail(new BusException(ErrorCodes.STALE, "superseded")));
    Throwable e = failure(f);
    assertEquals(ErrorCodes.STALE, ((BusException) e).code());
    assertEquals(
        Breaker.CircuitState.CLOSED,
        breaker.state(),
        "the server answered: the probe closes the breaker");
  }

  @Test
  void configDefaultsAndValidation() {
    assertEquals(BreakerConfig.DEFAULTS, BreakerConfig.fromJson(new JsonObject()));
    BreakerConfig c =
        BreakerConfig.fromJson(
            new JsonObject()
                .put(
                    "circuit",
                    new JsonObject()
                        .put("failure_threshold", 7)
                        .put("reset_timeout_ms", 500)
                        .put("call_timeout_ms", 0)
                        .put("failure_window_ms", 2000)));
    assertEquals(new BreakerConfig(7, 500, 0, 2000), c);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                BreakerConfig.fromJson(
                    new JsonObject().put("circuit", new JsonObject().put("failure_threshold", 0))));
    assertEquals("circuit.failure_threshold must be >= 1, got 0", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                BreakerConfig.fromJson(
                    new JsonObject()
                        .put("circuit", new JsonObject().put("reset_timeout_ms", "5"))));
    assertEquals("circuit.reset_timeout_ms must be an integer, got \"5\"", e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> BreakerConfig.fromJson(new JsonObject().put("circuit", 3)));
  }

  private static double gauge(String target) {
    Gauge g = SIMPLE.find(Breakers.METRIC).tag("target", target).gauge();
    assertTrue(g != null, "gauge registered in the shared registry " + Meters.registry());
    return g.value();
  }

  private static Throwable failure(Future<?> f) {
    try {
      f.await(10, TimeUnit.SECONDS);
    } catch (Throwable t) {
      return t;
    }
    throw new AssertionError("expected a failure");
  }
}
