package io.emcachers.core.client;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.messages.CacheEntityRequest;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.core.messages.JobAccepted;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;

/** Typed requests to a replicator ({@code emc.replicator.*}). */
public final class ReplicatorClient {

  private final BusCaller bus;

  public ReplicatorClient(EventBus eventBus) {
    this(new BusCaller(eventBus));
  }

  public ReplicatorClient(BusCaller bus) {
    this.bus = bus;
  }

  /** {@code emc.replicator.stats}: per-entity progress and lag of the node that answers. */
  public Future<HealthReply> stats() {
    return bus.request(Addresses.REPLICATOR_STATS, new HealthRequest(), HealthReply.class);
  }

  public Future<HealthReply> stats(long timeoutMs) {
    return bus.request(
        Addresses.REPLICATOR_STATS, new HealthRequest(), HealthReply.class, timeoutMs);
  }

  /**
   * {@code emc.replicator.recreate}: rebuild the entity's cache from the oplog; progress follows on
   * the status feed.
   */
  public Future<JobAccepted> recreate(String entity) {
    return bus.request(
        Addresses.REPLICATOR_RECREATE, new CacheEntityRequest(entity), JobAccepted.class);
  }

  /** {@code emc.replicator.recreate@NODE}: the same, on that node's replicator. */
  public Future<JobAccepted> recreateOn(String node, String entity) {
    return bus.request(
        Addresses.replicatorRecreateFor(node), new CacheEntityRequest(entity), JobAccepted.class);
  }
}
