package io.emcachers.core.client;

import io.emcachers.core.bus.Bus;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;

/**
 * What every typed client sends through: {@link Bus#request} on one event bus with a default send
 * timeout, and an optional mapping of failures (the API turns them into HTTP errors that name the
 * address). Immutable; {@link #withTimeout} and {@link #mapFailures} return new callers.
 */
public final class BusCaller {

  /** Turns a failed request into the failure its caller wants, knowing the address it went to. */
  @FunctionalInterface
  public interface FailureMapper {
    Throwable map(Throwable failure, String address);
  }

  private static final FailureMapper AS_IS = (failure, address) -> failure;

  private final EventBus eventBus;
  private final long timeoutMs;
  private final FailureMapper failures;

  /**
   * A caller with the event bus's default send timeout ({@link DeliveryOptions#DEFAULT_TIMEOUT}).
   */
  public BusCaller(EventBus eventBus) {
    this(eventBus, DeliveryOptions.DEFAULT_TIMEOUT);
  }

  public BusCaller(EventBus eventBus, long timeoutMs) {
    this(eventBus, timeoutMs, AS_IS);
  }

  private BusCaller(EventBus eventBus, long timeoutMs, FailureMapper failures) {
    if (timeoutMs <= 0) {
      throw new IllegalArgumentException("timeoutMs must be > 0, got " + timeoutMs);
    }
    this.eventBus = eventBus;
    this.timeoutMs = timeoutMs;
    this.failures = failures;
  }

  public EventBus eventBus() {
    return eventBus;
  }

  /** The send timeout of requests that name none. */
  public long timeoutMs() {
    return timeoutMs;
  }

  public BusCaller withTimeout(long timeoutMs) {
    return new BusCaller(eventBus, timeoutMs, failures);
  }

  /**
   * A caller whose failed requests complete with {@code mapper}'s result instead of the raw
   * failure.
   */
  public BusCaller mapFailures(FailureMapper mapper) {
    return new BusCaller(eventBus, timeoutMs, mapper);
  }

  /**
   * A caller that hands back raw failures ({@code ReplyException}...), for callers that inspect
   * them.
   */
  public BusCaller raw() {
    return new BusCaller(eventBus, timeoutMs, AS_IS);
  }

  /** Sends with the default timeout. */
  public <R> Future<R> request(String address, Object request, Class<R> replyType) {
    return request(address, request, replyType, timeoutMs);
  }

  public <R> Future<R> request(String address, Object request, Class<R> replyType, long timeoutMs) {
    return request(address, request, replyType, new DeliveryOptions().setSendTimeout(timeoutMs));
  }

  /** Sends with {@code options} as given (headers, local-only, their own timeout). */
  public <R> Future<R> request(
      String address, Object request, Class<R> replyType, DeliveryOptions options) {
    Future<R> reply = Bus.request(eventBus, address, request, replyType, options);
    return failures == AS_IS
        ? reply
        : reply.recover(t -> Future.failedFuture(failures.map(t, address)));
  }

  /** {@code options} with this caller's timeout, for callers that add headers or local-only. */
  public DeliveryOptions options() {
    return new DeliveryOptions().setSendTimeout(timeoutMs);
  }
}
