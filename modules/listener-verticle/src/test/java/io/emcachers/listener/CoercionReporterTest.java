package io.emcachers.listener;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.messages.StatusEvent;
import io.emcachers.core.model.DataType;
import io.emcachers.core.projection.Projection;
import io.emcachers.core.status.StatusPublisher;
import io.emcachers.testsupport.TestVertx;
import io.micrometer.core.instrument.Metrics;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Coercion reports: the first at once, later ones summed at most once per interval, timed by a
 * manual clock.
 */
class CoercionReporterTest {

  Vertx vertx;
  final List<StatusEvent> events = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() {
    Metrics.globalRegistry.add(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    vertx = TestVertx.create();
    vertx
        .eventBus()
        .<Object>consumer(
            Addresses.STATUS,
            m -> {
              if (m.body() instanceof StatusEvent e && "coercion_error".equals(e.state())) {
                events.add(e);
              }
            });
  }

  @AfterEach
  void tearDown() {
    vertx.close();
  }

  @Test
  void reportsAtMostOncePerIntervalPerEntityAndColumn() {
    ManualClock clock = new ManualClock(1_000_000);
    CoercionReporter reporter =
        new CoercionReporter(
            new StatusPublisher(vertx.eventBus(), ListenerVerticle.COMPONENT),
            new ListenerMetrics(() -> 0, () -> 0),
            60_000,
            clock);
    Projection.Mismatch m =
        new Projection.Mismatch(
            "n", DataType.Integer, "n", "STRING", Projection.Mismatch.TYPE_MISMATCH);
    reporter.record("coerced", "d1", m);
    reporter.record("coerced", "d2", m);
    clock.advance(59_999);
    reporter.record("coerced", "d3", m);
    reporter.flush();
    await().atMost(Duration.ofSeconds(10)).until(() -> events.size() == 1);
    assertEquals(1, events.get(0).data().getLong("errors"), "the first error is reported at once");
    clock.advance(1);
    reporter.flush();
    await().atMost(Duration.ofSeconds(10)).until(() -> events.size() == 2);
    assertEquals(
        2,
        events.get(1).data().getLong("errors"),
        "the two later ones, summed once the interval passed");
    assertEquals("d3", events.get(1).data().getString("sample_doc_id"));
    assertEquals(3, events.get(1).data().getLong("total_errors"));
    reporter.flush();
    assertEquals(3L, reporter.toJson().getLong("coerced.n"));
  }
}
