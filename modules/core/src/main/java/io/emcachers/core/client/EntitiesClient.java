package io.emcachers.core.client;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.LeaderEpoch;
import io.emcachers.core.messages.EntityListReply;
import io.emcachers.core.messages.EntityListRequest;
import io.emcachers.core.messages.EntityNameRequest;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.EntityStatusRequest;
import io.emcachers.core.messages.EntityUpsertRequest;
import io.emcachers.core.model.EntityStatus;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;

/**
 * Typed requests to the entity manager ({@code emc.entities.*}). Create fails CONFLICT when the
 * name exists, get/update/delete NOT_FOUND when it does not, create/update VALIDATION on a bad
 * definition.
 */
public final class EntitiesClient {

  private final BusCaller bus;
  private final long leaderEpoch;

  public EntitiesClient(EventBus eventBus) {
    this(new BusCaller(eventBus));
  }

  public EntitiesClient(BusCaller bus) {
    this(bus, 0);
  }

  private EntitiesClient(BusCaller bus, long leaderEpoch) {
    this.bus = bus;
    this.leaderEpoch = leaderEpoch;
  }

  /**
   * A client whose status changes belong to one leader term ({@link LeaderEpoch}): sent to this
   * node's oplog verticle only and refused once the term has ended. Other requests are unchanged.
   */
  public EntitiesClient fenced(long epoch) {
    if (epoch < 1) {
      throw new IllegalArgumentException("a leader epoch is >= 1, got " + epoch);
    }
    return new EntitiesClient(bus, epoch);
  }

  public Future<EntityListReply> list(boolean includeDeleted) {
    return bus.request(
        Addresses.ENTITIES_LIST, new EntityListRequest(includeDeleted), EntityListReply.class);
  }

  public Future<EntityReply> get(String name) {
    return bus.request(Addresses.ENTITIES_GET, new EntityNameRequest(name), EntityReply.class);
  }

  /**
   * {@code definition} is the entity JSON ({@code name}, {@code shape}...), validated by the entity
   * manager.
   */
  public Future<EntityReply> create(JsonObject definition) {
    return bus.request(
        Addresses.ENTITIES_CREATE, new EntityUpsertRequest(definition), EntityReply.class);
  }

  public Future<EntityReply> update(JsonObject definition) {
    return bus.request(
        Addresses.ENTITIES_UPDATE, new EntityUpsertRequest(definition), EntityReply.class);
  }

  /** Marks the entity deleted and purges its oplog rows; the reply's entity has status deleted. */
  public Future<EntityReply> delete(String name) {
    return bus.request(Addresses.ENTITIES_DELETE, new EntityNameRequest(name), EntityReply.class);
  }

  /** A lifecycle transition (scanning, failed...) with its reason. */
  public Future<EntityReply> setStatus(String name, EntityStatus status, String reason) {
    DeliveryOptions options = bus.options();
    if (leaderEpoch > 0) {
      LeaderEpoch.stamp(options.setLocalOnly(true), leaderEpoch);
    }
    return bus.request(
        Addresses.ENTITIES_SET_STATUS,
        new EntityStatusRequest(name, status, reason),
        EntityReply.class,
        options);
  }

  /** A hard reload from PostgreSQL (publishes {@code refreshed} changes). */
  public Future<EntityListReply> refresh(boolean includeDeleted) {
    return bus.request(
        Addresses.ENTITIES_REFRESH, new EntityListRequest(includeDeleted), EntityListReply.class);
  }
}
