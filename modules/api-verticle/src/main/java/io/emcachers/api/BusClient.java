package io.emcachers.api;

import io.emcachers.api.errors.ErrorResponses;
import io.emcachers.core.bus.Bus;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;

/**
 * The API's only way to reach other verticles: {@link Bus#request} with the API's timeout, and
 * failures already mapped to {@code ApiException}s that name the address.
 */
public final class BusClient {

  private final EventBus eventBus;
  private final long timeoutMs;

  public BusClient(EventBus eventBus, long timeoutMs) {
    this.eventBus = eventBus;
    this.timeoutMs = timeoutMs;
  }

  public EventBus eventBus() {
    return eventBus;
  }

  public long timeoutMs() {
    return timeoutMs;
  }

  public <R> Future<R> request(String address, Object request, Class<R> replyType) {
    return request(address, request, replyType, timeoutMs);
  }

  public <R> Future<R> request(String address, Object request, Class<R> replyType, long timeout) {
    return Bus.request(eventBus, address, request, replyType, new DeliveryOptions().setSendTimeout(timeout))
        .recover(t -> Future.failedFuture(ErrorResponses.from(t, address)));
  }

  /** Like {@link #request} but with the raw failure (ReplyException), for callers that inspect it. */
  public <R> Future<R> requestRaw(String address, Object request, Class<R> replyType, long timeout) {
    return Bus.request(eventBus, address, request, replyType, new DeliveryOptions().setSendTimeout(timeout));
  }
}
