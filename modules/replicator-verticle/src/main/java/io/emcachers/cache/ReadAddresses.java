package io.emcachers.cache;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.client.ReplicatorClient;
import io.emcachers.core.messages.CacheDocRequest;
import io.emcachers.core.messages.CachePageRequest;
import io.emcachers.core.messages.CacheQueryRequest;
import io.emcachers.core.messages.CacheSearchRequest;
import io.emcachers.core.messages.StatusEvent;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster-wide read addresses {@code emc.cache.query.ENTITY} this node serves, each with its
 * node-specific twin {@code emc.cache.query.ENTITY@NODE} (for readers that pick a holder). Rule:
 * the consumer is registered as soon as the cache is caught up, while the cache file exists and no
 * build or identity rebuild of it runs — right after an apply that brings it to the oplog head as
 * last read ({@link CacheDbVerticle#CAUGHT_UP_HEADER}, before the apply replies), right after a
 * rebuild swaps in a file read to the head, and whenever this node's replicator reports the entity
 * caught up ({@code lag_rows == 0} in a progress event of this node, published at once when the
 * entity becomes caught up, or in {@code emc.replicator.stats}). It stays registered while the
 * cache lags afterwards; it is removed when the cache is dropped, when an identity rebuild starts,
 * and at stop. Event-loop confined.
 */
final class ReadAddresses {

  private static final Logger LOG = LoggerFactory.getLogger(ReadAddresses.class);

  private final EventBus bus;
  private final ReplicatorClient replicator;
  private final String nodeId;
  private final CacheReads reads;
  private final Predicate<String> servable;
  private final Map<String, MessageConsumer<Object>> serving = new TreeMap<>();
  private final Map<String, MessageConsumer<Object>> servingHere = new TreeMap<>();
  private boolean closed;

  /**
   * @param servable whether the cache of an entity can serve reads right now (file exists, no
   *     blocking rebuild)
   */
  ReadAddresses(
      EventBus bus,
      ReplicatorClient replicator,
      String nodeId,
      CacheReads reads,
      Predicate<String> servable) {
    this.bus = bus;
    this.replicator = replicator;
    this.nodeId = nodeId;
    this.reads = reads;
    this.servable = servable;
  }

  boolean serves(String entity) {
    return serving.containsKey(entity);
  }

  List<String> names() {
    return new ArrayList<>(serving.keySet());
  }

  /** A status event: a replicator progress event of this node with lag 0 registers the entity. */
  void onStatus(StatusEvent ev) {
    if (!"replicator".equals(ev.component())
        || !StatusEvent.TYPE_PROGRESS.equals(ev.type())
        || ev.entity() == null) {
      return;
    }
    JsonObject d = ev.data();
    if (nodeId.equals(d.getString("node"))
        && d.getValue("lag_rows") instanceof Number n
        && n.longValue() == 0) {
      serve(ev.entity());
    }
  }

  /**
   * Asks this node's replicator which entities are caught up (after a swap, at start,
   * periodically).
   */
  void refresh() {
    if (closed) {
      return;
    }
    replicator
        .stats()
        .onSuccess(
            h -> {
              if (!nodeId.equals(h.details().getString("node"))) {
                return;
              }
              JsonObject entities = h.details().getJsonObject("entities", new JsonObject());
              for (String name : entities.fieldNames()) {
                JsonObject e = entities.getJsonObject(name);
                if (e != null && e.getLong("lag_rows", -1L) == 0) {
                  serve(name);
                }
              }
            });
  }

  /**
   * Registers the entity's read address when it may serve; completes once the registration is in
   * place.
   */
  Future<Void> serve(String entity) {
    MessageConsumer<Object> current = serving.get(entity);
    if (current != null) {
      return current.completion();
    }
    if (closed || !servable.test(entity)) {
      return Future.succeededFuture();
    }
    MessageConsumer<Object> c = bus.consumer(Addresses.cacheQueryFor(entity));
    c.handler(m -> dispatch(entity, m));
    MessageConsumer<Object> own = bus.consumer(Addresses.cacheQueryFor(entity, nodeId));
    own.handler(m -> dispatch(entity, m));
    serving.put(entity, c);
    servingHere.put(entity, own);
    LOG.info("cache {}: caught up, serving {}", entity, Addresses.cacheQueryFor(entity));
    return Future.all(c.completion(), own.completion())
        .<Void>mapEmpty()
        .recover(
            err -> {
              LOG.warn(
                  "cache {}: registering {} failed: {}",
                  entity,
                  Addresses.cacheQueryFor(entity),
                  err.toString());
              if (serving.remove(entity, c)) {
                c.unregister();
              }
              if (servingHere.remove(entity, own)) {
                own.unregister();
              }
              return Future.succeededFuture();
            });
  }

  /** A message on the read address of {@code entity}: dispatch by body type. */
  private void dispatch(String entity, Message<Object> m) {
    Object body = m.body();
    if (body instanceof CacheDocRequest r) {
      Bus.handle(
          m,
          CacheDocRequest.class,
          CacheErrors.mapped(x -> reads.doc(CacheReads.sameEntity(entity, r.entity(), r))));
    } else if (body instanceof CachePageRequest r) {
      Bus.handle(
          m,
          CachePageRequest.class,
          CacheErrors.mapped(x -> reads.page(CacheReads.sameEntity(entity, r.entity(), r))));
    } else if (body instanceof CacheQueryRequest r) {
      Bus.handle(
          m,
          CacheQueryRequest.class,
          CacheErrors.mapped(x -> reads.query(CacheReads.sameEntity(entity, r.entity(), r))));
    } else if (body instanceof CacheSearchRequest r) {
      Bus.handle(
          m,
          CacheSearchRequest.class,
          CacheErrors.mapped(x -> reads.search(CacheReads.sameEntity(entity, r.entity(), r))));
    } else {
      m.fail(
          ErrorCodes.BAD_REQUEST,
          "expected CacheDocRequest, CachePageRequest, CacheQueryRequest or CacheSearchRequest, got "
              + (body == null ? "null" : body.getClass().getSimpleName()));
    }
  }

  void unserve(String entity) {
    MessageConsumer<Object> own = servingHere.remove(entity);
    if (own != null) {
      own.unregister();
    }
    MessageConsumer<Object> c = serving.remove(entity);
    if (c != null) {
      c.unregister();
      LOG.info("cache {}: no longer serving {}", entity, Addresses.cacheQueryFor(entity));
    }
  }

  Future<Void> close() {
    closed = true;
    List<Future<Void>> all = new ArrayList<>();
    serving.values().forEach(c -> all.add(c.unregister()));
    servingHere.values().forEach(c -> all.add(c.unregister()));
    serving.clear();
    servingHere.clear();
    return Future.join(all).mapEmpty();
  }
}
