package io.emcachers.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.micrometer.backends.BackendRegistries;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The node's metrics options: one handler gauge per event-bus address, and Meters.registry() is the
 * backend.
 */
class MetersTest {

  static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx(new VertxOptions().setMetricsOptions(Meters.options()));
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void eachAddressHasItsOwnHandlerGauge() throws Exception {
    MessageConsumer<Object> a = vertx.eventBus().consumer("meters.test.a", m -> {});
    MessageConsumer<Object> b1 = vertx.eventBus().consumer("meters.test.b", m -> {});
    MessageConsumer<Object> b2 = vertx.eventBus().consumer("meters.test.b", m -> {});
    Future.all(a.completion(), b1.completion(), b2.completion())
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);

    MeterRegistry registry = Meters.registry();
    assertSame(BackendRegistries.getDefaultNow(), registry);
    assertEquals(1.0, handlers(registry, "meters.test.a"));
    assertEquals(2.0, handlers(registry, "meters.test.b"));
    assertEquals(
        0,
        registry.find("vertx.eventbus.handlers").tags().gauges().stream()
            .filter(g -> g.getId().getTag("address") == null)
            .count(),
        "no untagged handler gauge shared by every address");

    b2.unregister().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(1.0, handlers(registry, "meters.test.b"));
  }

  private static double handlers(MeterRegistry registry, String address) {
    Gauge g = registry.find("vertx.eventbus.handlers").tag("address", address).gauge();
    return g == null ? Double.NaN : g.value();
  }
}
