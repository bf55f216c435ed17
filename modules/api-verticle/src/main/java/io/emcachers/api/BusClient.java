package io.emcachers.api;

import io.emcachers.api.errors.ErrorResponses;
import io.emcachers.core.client.BusCaller;
import io.emcachers.core.client.CacheClient;
import io.emcachers.core.client.EntitiesClient;
import io.emcachers.core.client.HealthClient;
import io.emcachers.core.client.OplogClient;
import io.emcachers.core.client.ReplicatorClient;
import io.emcachers.core.client.VerifyClient;
import io.vertx.core.eventbus.EventBus;

/**
 * The API's only way to reach other verticles: core's typed clients with the API's timeout, and
 * failures already mapped to {@code ApiException}s that name the address — except {@link
 * #cacheReads()}, whose raw failures let the cache routes explain a missing handler.
 */
public final class BusClient {

  private final BusCaller raw;
  private final EntitiesClient entities;
  private final OplogClient oplog;
  private final ReplicatorClient replicator;
  private final CacheClient cache;
  private final HealthClient health;
  private final CacheClient cacheReads;
  private final VerifyClient verify;

  public BusClient(EventBus eventBus, long timeoutMs) {
    this.raw = new BusCaller(eventBus, timeoutMs);
    BusCaller mapped = raw.mapFailures(ErrorResponses::from);
    this.entities = new EntitiesClient(mapped);
    this.oplog = new OplogClient(mapped);
    this.replicator = new ReplicatorClient(mapped);
    this.cache = new CacheClient(mapped);
    this.health = new HealthClient(mapped);
    this.cacheReads = new CacheClient(raw);
    this.verify = new VerifyClient(mapped);
  }

  public EventBus eventBus() {
    return raw.eventBus();
  }

  public long timeoutMs() {
    return raw.timeoutMs();
  }

  public EntitiesClient entities() {
    return entities;
  }

  public OplogClient oplog() {
    return oplog;
  }

  public ReplicatorClient replicator() {
    return replicator;
  }

  public CacheClient cache() {
    return cache;
  }

  public HealthClient health() {
    return health;
  }

  public VerifyClient verify() {
    return verify;
  }

  /** Cache reads with the raw failure (ReplyException), for callers that inspect it. */
  public CacheClient cacheReads() {
    return cacheReads;
  }
}
