package io.emcachers.listener;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.messages.StatusEvent;
import io.emcachers.core.status.StatusPublisher;
import io.emcachers.testsupport.TestVertx;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, item 3: a skipped document is counted every time, logged and put on the status feed once
 * per entity and _id.
 */
class SkipReporterTest {

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
              if (m.body() instanceof StatusEvent e) {
                events.add(e);
              }
            });
  }

  @AfterEach
  void tearDown() {
    vertx.close();
  }

  @Test
  void eachSkipIsCountedAndReportedOncePerDocument() {
    SkipReporter skips =
        new SkipReporter(
            new StatusPublisher(vertx.eventBus(), ListenerVerticle.COMPONENT),
            new ListenerMetrics(() -> 0, () -> 0));
    skips.skipped(
        "skip_src", "skipped_entity", "k1", "rejected", "doc_id contains a NUL character");
    skips.skipped(
        "skip_src", "skipped_entity", "k1", "rejected", "doc_id contains a NUL character");
    skips.skipped("skip_src", "skipped_entity", "k2", "unprojectable", "boom");
    assertEquals(3, skips.total());
    Counter rejected =
        Metrics.globalRegistry
            .find("emc_listener_events_skipped_total")
            .tag("collection", "skip_src")
            .tag("reason", "rejected")
            .counter();
    assertEquals(2.0, rejected.count());
    await().atMost(Duration.ofSeconds(10)).until(() -> events.size() == 2);
    StatusEvent first = events.get(0);
    assertEquals(StatusEvent.TYPE_ERROR, first.type());
    assertEquals("skipped", first.state());
    assertEquals("skipped_entity", first.entity());
    assertEquals("k1", first.data().getString("doc_id"));
    assertEquals("rejected", first.data().getString("reason"));
    assertEquals("k2", events.get(1).data().getString("doc_id"));
  }
}
