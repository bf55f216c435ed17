package io.emcachers.core.client;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;

/**
 * Health requests by address, for callers that probe every component alike (the API's health checks
 * and job list): {@link Addresses#OPLOG_HEALTH}, {@link Addresses#LISTENER_HEALTH}, {@link
 * Addresses#REPLICATOR_STATS}, {@link Addresses#CACHE_HEALTH}.
 */
public final class HealthClient {

  private final BusCaller bus;

  public HealthClient(EventBus eventBus) {
    this(new BusCaller(eventBus));
  }

  public HealthClient(BusCaller bus) {
    this.bus = bus;
  }

  public Future<HealthReply> check(String address, long timeoutMs) {
    return bus.request(address, new HealthRequest(), HealthReply.class, timeoutMs);
  }

  /** {@code emc.listener.health}: streams, window, MongoDB reachability. */
  public Future<HealthReply> listener(long timeoutMs) {
    return check(Addresses.LISTENER_HEALTH, timeoutMs);
  }
}
