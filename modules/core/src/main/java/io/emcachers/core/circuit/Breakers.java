package io.emcachers.core.circuit;

import io.emcachers.core.metrics.Meters;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.Predicate;

/**
 * Creates the {@link Breaker}s and keeps the process-wide view of them: the gauge {@code
 * emc_circuit_state{target}} (0 closed, 1 half-open, 2 open; the worst breaker of that target in
 * this process — one per verticle instance; 0 when none is live) in {@link Meters#registry()}, and
 * {@link #health()} for health replies.
 */
public final class Breakers {

  public static final String METRIC = "emc_circuit_state";
  public static final String POSTGRESQL = "postgresql";
  public static final String MONGODB = "mongodb";

  private static final Map<String, Set<Breaker>> LIVE = new ConcurrentHashMap<>();
  private static final Map<MeterRegistry, Set<String>> GAUGES =
      Collections.synchronizedMap(new WeakHashMap<>());

  private Breakers() {}

  /**
   * A new breaker for {@code target}, registered with the state gauge.
   *
   * @param targetSpecific the target's classifier of infrastructure failures (see {@link
   *     FailurePolicy})
   */
  public static Breaker create(
      Vertx vertx, String target, BreakerConfig config, Predicate<Throwable> targetSpecific) {
    Breaker b = new Breaker(vertx, target, config, targetSpecific);
    LIVE.computeIfAbsent(target, t -> new CopyOnWriteArraySet<>()).add(b);
    registerGauge(target);
    return b;
  }

  /** The gauge value of {@code target}: the worst live breaker's state, 0 when there is none. */
  public static int gaugeValue(String target) {
    Set<Breaker> set = LIVE.get(target);
    int worst = 0;
    if (set != null) {
      for (Breaker b : set) {
        worst = Math.max(worst, b.state().gaugeValue());
      }
    }
    return worst;
  }

  /**
   * {@code {"postgresql": {"state": ..., "failures": ...}, ...}} — the worst live breaker of each
   * target in this process.
   */
  public static JsonObject health() {
    JsonObject out = new JsonObject();
    LIVE.forEach(
        (target, set) -> {
          Breaker worst = null;
          for (Breaker b : set) {
            if (worst == null || b.state().gaugeValue() > worst.state().gaugeValue()) {
              worst = b;
            }
          }
          if (worst != null) {
            out.put(target, worst.toJson());
          }
        });
    return out;
  }

  static void unregister(Breaker b) {
    Set<Breaker> set = LIVE.get(b.target());
    if (set != null) {
      set.remove(b);
    }
  }

  private static void registerGauge(String target) {
    MeterRegistry registry = Meters.registry();
    Set<String> done = GAUGES.computeIfAbsent(registry, r -> ConcurrentHashMap.newKeySet());
    if (done.add(target)) {
      Gauge.builder(METRIC, () -> gaugeValue(target))
          .tag("target", target)
          .description(
              "circuit breaker state: 0 closed, 1 half-open, 2 open (worst breaker of the target in this process)")
          .strongReference(true)
          .register(registry);
    }
  }
}
