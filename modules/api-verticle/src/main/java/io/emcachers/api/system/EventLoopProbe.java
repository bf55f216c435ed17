package io.emcachers.api.system;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * Measures how late a periodic timer fires on the API verticle's event loop: a blocked or busy loop
 * shows up as lag. Keeps the last value and the maximum since start.
 */
public final class EventLoopProbe {

  public static final long INTERVAL_MS = 500;

  private final Vertx vertx;
  private volatile long lastLagMs;
  private volatile long maxLagMs;
  private long expected;
  private long timer = -1;

  public EventLoopProbe(Vertx vertx) {
    this.vertx = vertx;
  }

  public void start() {
    expected = System.nanoTime() + INTERVAL_MS * 1_000_000;
    timer =
        vertx.setPeriodic(
            INTERVAL_MS,
            t -> {
              long now = System.nanoTime();
              long lag = Math.max(0, (now - expected) / 1_000_000);
              lastLagMs = lag;
              maxLagMs = Math.max(maxLagMs, lag);
              expected = now + INTERVAL_MS * 1_000_000;
            });
  }

  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("lag_ms", lastLagMs)
        .put("max_lag_ms", maxLagMs)
        .put("probe_interval_ms", INTERVAL_MS);
  }
}
