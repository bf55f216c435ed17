package io.emcachers.core.client;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.messages.CacheApplyReply;
import io.emcachers.core.messages.CacheApplyRequest;
import io.emcachers.core.messages.CacheDocRequest;
import io.emcachers.core.messages.CacheEntityRequest;
import io.emcachers.core.messages.CacheInfoReply;
import io.emcachers.core.messages.CachePageRequest;
import io.emcachers.core.messages.CacheQueryRequest;
import io.emcachers.core.messages.CacheRowsReply;
import io.emcachers.core.messages.CacheSearchRequest;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.core.messages.JobAccepted;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.Oplog;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import java.util.List;

/**
 * Typed requests to the cache-db manager: the node-local {@code emc.cache.*} addresses, and the
 * clustered per-entity read address {@code emc.cache.query.ENTITY} (served by some node that holds
 * a caught-up cache; NO_HANDLERS when none does).
 */
public final class CacheClient {

  private final BusCaller bus;

  /** The node whose node-specific read address reads go to; null: the entity-wide address. */
  private final String readNode;

  public CacheClient(EventBus eventBus) {
    this(new BusCaller(eventBus));
  }

  public CacheClient(BusCaller bus) {
    this(bus, null);
  }

  private CacheClient(BusCaller bus, String readNode) {
    this.bus = bus;
    this.readNode = readNode;
  }

  /**
   * The same client, with reads ({@link #doc}, {@link #page}, {@link #query}) sent to {@code
   * node}'s own read address {@code emc.cache.query.ENTITY@NODE} (NO_HANDLERS when that node does
   * not serve the entity).
   */
  public CacheClient onNode(String node) {
    return new CacheClient(bus, node);
  }

  /** {@code emc.cache.apply}: rows and the cache's last_oplog_id in one SQLite transaction. */
  public Future<CacheApplyReply> apply(Entity entity, List<Oplog> rows) {
    return bus.request(
        Addresses.CACHE_APPLY, new CacheApplyRequest(entity, rows), CacheApplyReply.class);
  }

  /** As {@link #apply(Entity, List)} with {@code options} as given (timeout, headers). */
  public Future<CacheApplyReply> apply(Entity entity, List<Oplog> rows, DeliveryOptions options) {
    return bus.request(
        Addresses.CACHE_APPLY, new CacheApplyRequest(entity, rows), CacheApplyReply.class, options);
  }

  /** {@code emc.cache.info}: the state of one cache, or of all when {@code entity} is null. */
  public Future<CacheInfoReply> info(String entity) {
    return bus.request(Addresses.CACHE_INFO, new CacheEntityRequest(entity), CacheInfoReply.class);
  }

  /** {@code emc.cache.drop}: close and remove a cache. */
  public Future<CacheInfoReply> drop(String entity) {
    return bus.request(Addresses.CACHE_DROP, new CacheEntityRequest(entity), CacheInfoReply.class);
  }

  /**
   * {@code emc.cache.rebuild}: rebuild into a new file while the old one serves, swap when caught
   * up.
   */
  public Future<JobAccepted> rebuild(String entity) {
    return bus.request(Addresses.CACHE_REBUILD, new CacheEntityRequest(entity), JobAccepted.class);
  }

  /** {@code emc.cache.health}. */
  public Future<HealthReply> health() {
    return bus.request(Addresses.CACHE_HEALTH, new HealthRequest(), HealthReply.class);
  }

  public Future<HealthReply> health(long timeoutMs) {
    return bus.request(Addresses.CACHE_HEALTH, new HealthRequest(), HealthReply.class, timeoutMs);
  }

  /** One document from a node that holds {@code entity}. */
  public Future<CacheRowsReply> doc(String entity, String docId, long timeoutMs) {
    return read(entity, new CacheDocRequest(entity, docId), timeoutMs);
  }

  /** A page of documents after {@code after} (null: from the start), keyset by doc id. */
  public Future<CacheRowsReply> page(String entity, String after, int limit, long timeoutMs) {
    return read(entity, new CachePageRequest(entity, after, limit), timeoutMs);
  }

  /** One read-only SELECT on a node that holds the query's entity. */
  public Future<CacheRowsReply> query(CacheQueryRequest query, long timeoutMs) {
    return read(query.entity(), query, timeoutMs);
  }

  /** Full-text search over the entity's search columns on a node that holds it. */
  public Future<CacheRowsReply> search(String entity, String q, int limit, long timeoutMs) {
    return read(entity, new CacheSearchRequest(entity, q, limit), timeoutMs);
  }

  private Future<CacheRowsReply> read(String entity, Object request, long timeoutMs) {
    String address =
        readNode == null
            ? Addresses.cacheQueryFor(entity)
            : Addresses.cacheQueryFor(entity, readNode);
    return bus.request(address, request, CacheRowsReply.class, timeoutMs);
  }
}
