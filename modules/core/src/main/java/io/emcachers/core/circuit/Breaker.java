package io.emcachers.core.circuit;

import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code vertx-circuit-breaker} around one dependency ({@code target}: {@code postgresql},
 * {@code mongodb}). Closed: calls run; {@link BreakerConfig#failureThreshold()} infrastructure
 * failures ({@link FailurePolicy}) within {@link BreakerConfig#failureWindowMs()} open it. Open:
 * calls fail at once with a {@link CircuitOpenException} ({@code "postgresql circuit open: ..."},
 * UNAVAILABLE) without touching the dependency. After {@link BreakerConfig#resetTimeoutMs()} it is
 * half-open: the next call is the probe (the others still fail fast); its success (or a business
 * error: the server answered) closes the breaker, an infrastructure failure opens it again. {@link
 * #onTransition} listeners run on every change, so a reconnect loop can probe as soon as the
 * breaker is half-open instead of waiting for its own backoff.
 *
 * <p>Create with {@link Breakers#create}; {@link #close()} when the owner stops.
 */
public final class Breaker {

  private static final Logger LOG = LoggerFactory.getLogger(Breaker.class);

  private final String target;
  private final BreakerConfig config;
  private final Vertx vertx;
  private final CircuitBreaker breaker;
  private final Predicate<Throwable> targetSpecific;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private volatile String lastFailure;
  private volatile Instant lastFailureAt;
  private volatile Instant openedAt;
  private volatile Instant stateSince = Instant.now();
  private volatile long rejected;
  private volatile long opened;

  Breaker(Vertx vertx, String target, BreakerConfig config, Predicate<Throwable> targetSpecific) {
    this.vertx = vertx;
    this.target = target;
    this.config = config;
    this.targetSpecific = targetSpecific;
    this.breaker =
        CircuitBreaker.create(
                "emc-" + target,
                vertx,
                new CircuitBreakerOptions()
                    .setMaxFailures(config.failureThreshold())
                    .setResetTimeout(config.resetTimeoutMs())
                    .setFailuresRollingWindow(config.failureWindowMs())
                    .setTimeout(-1) // timed per call below: long calls must not be cut
                    .setMaxRetries(0)
                    .setNotificationAddress(null)) // no periodic event-bus notifications
            .failurePolicy(f -> f.failed() && countsAsFailure(f.cause()))
            .openHandler(v -> transition("open"))
            .halfOpenHandler(v -> transition("half-open"))
            .closeHandler(v -> transition("closed"));
  }

  public String target() {
    return target;
  }

  public BreakerConfig config() {
    return config;
  }

  /** True when {@code error} counts against this breaker (see {@link FailurePolicy}). */
  public boolean countsAsFailure(Throwable error) {
    boolean counts = FailurePolicy.isInfrastructure(error, targetSpecific);
    if (counts) {
      lastFailure =
          error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
      lastFailureAt = Instant.now();
    }
    return counts;
  }

  /**
   * Runs a short call through the breaker, failing it with a timeout after {@link
   * BreakerConfig#callTimeoutMs()}.
   */
  public <T> Future<T> call(String what, Supplier<Future<T>> work) {
    return run(what, work, config.callTimeoutMs());
  }

  /**
   * Runs long work (a write-queue unit, a streamed read, ANALYZE, a connect with its own deadline)
   * through the breaker without its call timeout: the work's own bound decides, its outcome still
   * counts.
   */
  public <T> Future<T> callUntimed(String what, Supplier<Future<T>> work) {
    return run(what, work, 0);
  }

  private <T> Future<T> run(String what, Supplier<Future<T>> work, long timeoutMs) {
    Future<T> result =
        breaker.execute(
            promise -> {
              Future<T> f;
              try {
                f = work.get();
              } catch (RuntimeException e) {
                f = Future.failedFuture(e);
              }
              if (timeoutMs > 0) {
                long timer =
                    vertx.setTimer(
                        timeoutMs,
                        id ->
                            promise.tryFail(
                                new TimeoutException(
                                    what
                                        + ": no answer from "
                                        + target
                                        + " within "
                                        + timeoutMs
                                        + " ms (circuit.call_timeout_ms)")));
                f.onComplete(ar -> vertx.cancelTimer(timer));
              }
              f.onComplete(promise::tryComplete, promise::tryFail);
            });
    return result.recover(
        e -> {
          if (e instanceof OpenCircuitException) {
            rejected++;
            return Future.failedFuture(openError(what));
          }
          return Future.failedFuture(e);
        });
  }

  private CircuitOpenException openError(String what) {
    String last = lastFailure;
    return new CircuitOpenException(
        target,
        target
            + " circuit open: "
            + what
            + " not attempted ("
            + state().wireName()
            + " since "
            + stateSince
            + ", a probe is let through every "
            + config.resetTimeoutMs()
            + " ms"
            + (last == null ? "" : "; last failure: " + last)
            + ")");
  }

  public CircuitState state() {
    return CircuitState.of(breaker.state());
  }

  /** Infrastructure failures counted in the current rolling window. */
  public long failures() {
    return breaker.failureCount();
  }

  /** Runs {@code listener} (on any thread) after every state change. */
  public void onTransition(Runnable listener) {
    listeners.add(listener);
  }

  /** {@code {"state": "closed", "failures": 0, ...}} as health replies show it. */
  public JsonObject toJson() {
    CircuitState s = state();
    return new JsonObject()
        .put("state", s.wireName())
        .put("gauge", s.gaugeValue())
        .put("failures", failures())
        .put("since", stateSince.toString())
        .put("opened_total", opened)
        .put("rejected_total", rejected)
        .put("last_failure", lastFailure)
        .put("last_failure_at", lastFailureAt == null ? null : lastFailureAt.toString())
        .put("last_opened_at", openedAt == null ? null : openedAt.toString())
        .put("failure_threshold", config.failureThreshold())
        .put("reset_timeout_ms", config.resetTimeoutMs());
  }

  /** Closes the breaker (cancels its timers) and removes it from the state gauge. */
  public void close() {
    Breakers.unregister(this);
    breaker.close();
  }

  private void transition(String to) {
    stateSince = Instant.now();
    if ("open".equals(to)) {
      opened++;
      openedAt = stateSince;
      LOG.warn(
          "{} circuit open after {} infrastructure failure(s) within {} ms (last: {}); calls fail fast, a probe every {} ms",
          target,
          breaker.failureCount(),
          config.failureWindowMs(),
          lastFailure,
          config.resetTimeoutMs());
    } else if ("closed".equals(to)) {
      LOG.info("{} circuit closed: the probe succeeded", target);
    } else {
      LOG.debug("{} circuit half-open: the next call probes", target);
    }
    for (Runnable l : listeners) {
      try {
        l.run();
      } catch (RuntimeException e) {
        LOG.warn("{} circuit listener failed: {}", target, e.toString());
      }
    }
  }

  /** The three states with their wire names and gauge values. */
  public enum CircuitState {
    CLOSED("closed", 0),
    HALF_OPEN("half-open", 1),
    OPEN("open", 2);

    private final String wireName;
    private final int gaugeValue;

    CircuitState(String wireName, int gaugeValue) {
      this.wireName = wireName;
      this.gaugeValue = gaugeValue;
    }

    public String wireName() {
      return wireName;
    }

    /** {@code emc_circuit_state}: 0 closed, 1 half-open, 2 open. */
    public int gaugeValue() {
      return gaugeValue;
    }

    static CircuitState of(CircuitBreakerState s) {
      return switch (s) {
        case CLOSED -> CLOSED;
        case HALF_OPEN -> HALF_OPEN;
        case OPEN -> OPEN;
      };
    }
  }
}
