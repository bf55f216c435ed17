package io.emcachers.cache;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.BusException;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.jobs.JobScheduler;
import io.emcachers.core.jobs.JobStats;
import io.emcachers.core.messages.CacheApplyReply;
import io.emcachers.core.messages.CacheApplyRequest;
import io.emcachers.core.messages.CacheDocRequest;
import io.emcachers.core.messages.CacheEntityRequest;
import io.emcachers.core.messages.CacheInfoReply;
import io.emcachers.core.messages.CachePageRequest;
import io.emcachers.core.messages.CacheQueryRequest;
import io.emcachers.core.messages.CacheRowsReply;
import io.emcachers.core.messages.EntityChanged;
import io.emcachers.core.messages.EntityListReply;
import io.emcachers.core.messages.EntityListRequest;
import io.emcachers.core.messages.EntityNameRequest;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.core.messages.JobAccepted;
import io.emcachers.core.messages.StatusEvent;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.validation.EntityValidator;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.backends.BackendRegistries;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache-db manager of a node: owns {@code {data_dir}/dbs/{entity}/db.sqlite}, applies batches
 * ({@code emc.cache.apply}), serves reads ({@code emc.cache.doc|page|query|info|health}), drops and
 * rebuilds caches. Every {@code emc.cache.*} consumer is node-local. A clustered consumer on
 * {@code emc.cache.query.ENTITY} is registered for each entity whose cache this node serves (see
 * {@link #serve}). SQLite work runs on a small worker pool, never on the event loop.
 */
public final class CacheDbVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(CacheDbVerticle.class);
  public static final String COMPONENT = "cache";
  static final String JOB_IDLE = "cache-idle-cleanup";
  static final String JOB_RECONCILE = "cache-reconcile";
  private static final int WORKERS = 4;
  private static final int RECENT_JOBS = 20;

  private CacheConfig config;
  private CacheRegistry registry;
  private WorkerExecutor workers;
  private JobScheduler scheduler;
  private EventBus bus;
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  /** Per-entity clustered read consumers of the caches this node serves. */
  private final Map<String, MessageConsumer<Object>> serving = new HashMap<>();
  /** The running rebuild of each entity (at most one). */
  private final Map<String, RebuildJob> rebuilds = new HashMap<>();
  private final Deque<RebuildJob> recent = new ArrayDeque<>();
  /** Deleted entities: their rows are not applied and no cache is created for them. */
  private final Map<String, Entity> tombstones = new HashMap<>();
  private MeterRegistry meters;
  private Timer applyTimer;
  private long appliedTotal;
  private long nulledTotal;
  private volatile boolean stopping;

  @Override
  public Future<?> start() {
    config = CacheConfig.fromJson(config());
    registry = new CacheRegistry(config.dbsDir());
    bus = vertx.eventBus();
    workers = vertx.createSharedWorkerExecutor("emc-cache-db", WORKERS, 10, TimeUnit.MINUTES);
    scheduler = new JobScheduler(vertx);
    meters = BackendRegistries.getDefaultNow() != null ? BackendRegistries.getDefaultNow() : Metrics.globalRegistry;
    applyTimer = Timer.builder("emc_cache_apply_seconds").description("time to apply one batch to a cache").register(meters);

    return blocking(registry::scan).compose(found -> {
      LOG.info("cache-db {}: {} cache(s) under {}: {}", config.nodeId(), found.size(), config.dbsDir().toAbsolutePath(), found);
      local(Addresses.CACHE_APPLY, CacheApplyRequest.class, this::apply);
      local(Addresses.CACHE_GET_DOC, CacheDocRequest.class, this::doc);
      local(Addresses.CACHE_PAGE, CachePageRequest.class, this::page);
      local(Addresses.CACHE_QUERY, CacheQueryRequest.class, this::query);
      local(Addresses.CACHE_DROP, CacheEntityRequest.class, this::dropRequest);
      local(Addresses.CACHE_INFO, CacheEntityRequest.class, this::info);
      local(Addresses.CACHE_HEALTH, HealthRequest.class, req -> Future.succeededFuture(health()));
      local(Addresses.CACHE_REBUILD, CacheEntityRequest.class, this::rebuildRequest);
      MessageConsumer<Object> changes = bus.consumer(Addresses.ENTITIES_CHANGED);
      changes.handler(m -> {
        if (m.body() instanceof EntityChanged ev) {
          onEntityChanged(ev);
        }
      });
      consumers.add(changes);
      MessageConsumer<Object> status = bus.localConsumer(Addresses.STATUS);
      status.handler(m -> {
        if (m.body() instanceof StatusEvent ev) {
          onStatus(ev);
        }
      });
      consumers.add(status);
      scheduler.schedule(JOB_IDLE, Duration.ofMillis(config.cleanupIntervalMs()), Duration.ofMillis(config.cleanupIntervalMs()),
          ctx -> blocking(() -> registry.closeIdle(config.idleExpiryMs())));
      scheduler.schedule(JOB_RECONCILE, Duration.ofMillis(config.cleanupIntervalMs()), Duration.ZERO, ctx -> reconcile());
      return Future.join(consumers.stream().map(MessageConsumer::completion).toList());
    }).onSuccess(v -> {
      LOG.info("cache-db {}: started (idle expiry {} ms, cleanup every {} ms)", config.nodeId(), config.idleExpiryMs(), config.cleanupIntervalMs());
      publishComponent("started");
    });
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    rebuilds.values().forEach(RebuildJob::cancel);
    List<Future<?>> all = new ArrayList<>();
    consumers.forEach(c -> all.add(c.unregister()));
    serving.values().forEach(c -> all.add(c.unregister()));
    serving.clear();
    all.add(scheduler.shutdown(Duration.ofSeconds(5)));
    List<Future<Void>> jobs = rebuilds.values().stream().map(j -> j.future().transform(x -> Future.<Void>succeededFuture())).toList();
    return Future.join(all)
        .transform(x -> Future.join(jobs))
        .transform(x -> blocking(() -> {
          registry.closeAll();
          return null;
        }))
        .transform(x -> {
          LOG.info("cache-db {}: stopped, connections closed", config.nodeId());
          publishComponent("stopped");
          return workers.close();
        });
  }

  // ------------------------------------------------------------------ apply

  private Future<CacheApplyReply> apply(CacheApplyRequest req) {
    Entity e = req.entity();
    if (e == null) {
      throw BusException.badRequest("entity is required");
    }
    String name = CacheRegistry.requireName(e.name());
    if (e.status() == EntityStatus.deleted || isTombstoned(e)) {
      return Future.succeededFuture(new CacheApplyReply(name, 0, 0, req.rows().size()));
    }
    RebuildJob running = rebuilds.get(name);
    if (running != null && running.mode().blocksApplies()) {
      return running.future().transform(x -> apply(req));
    }
    long start = System.nanoTime();
    return blocking(() -> registry.apply(e, req.rows()))
        .map(out -> {
          applyTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
          appliedTotal += out.applied();
          if (out.nulled() > 0) {
            nulledTotal += out.nulled();
            Counter.builder("emc_cache_values_nulled_total").tag("entity", name).register(meters).increment(out.nulled());
            LOG.warn("cache {}: {} value(s) did not fit their column type and were stored as NULL", name, out.nulled());
          }
          return new CacheApplyReply(name, out.lastOplogId(), out.applied(), out.skipped());
        })
        .recover(err -> {
          if (err instanceof CacheMissingException) {
            return rebuild(e, RebuildJob.Mode.INITIAL).future().compose(x -> apply(req));
          }
          if (err instanceof ShapeMismatchException) {
            LOG.info("cache {}: {}; rebuilding from the oplog", name, err.getMessage());
            return rebuild(e, RebuildJob.Mode.SHAPE).future().compose(x -> apply(req));
          }
          return Future.failedFuture(err);
        });
  }

  private boolean isTombstoned(Entity e) {
    Entity t = tombstones.get(e.name());
    if (t == null) {
      return false;
    }
    // a re-created entity of the same name is a new entity
    if (e.createdAt() != null && t.createdAt() != null && e.createdAt().isAfter(t.createdAt())) {
      tombstones.remove(e.name());
      return false;
    }
    return true;
  }

  // ------------------------------------------------------------------ rebuilds

  /** Starts a rebuild of {@code e} in {@code mode}, or returns the running one when it fits. */
  private RebuildJob rebuild(Entity e, RebuildJob.Mode mode) {
    String name = e.name();
    RebuildJob running = rebuilds.get(name);
    if (running != null) {
      // the same shape: once the running job swaps, the file is what the caller needs
      if (running.entity().shape().hash().equals(e.shape().hash())) {
        return running;
      }
      // another shape: let the running one finish, then rebuild again
      RebuildJob next = new RebuildJob(e, mode, registry, workers, bus, context, config);
      running.future().onComplete(x -> startJob(next));
      return next;
    }
    return startJob(new RebuildJob(e, mode, registry, workers, bus, context, config));
  }

  private RebuildJob startJob(RebuildJob job) {
    String name = job.entity().name();
    if (stopping) {
      job.cancel();
    }
    RebuildJob previous = rebuilds.get(name);
    if (previous != null && !previous.finished()) {
      previous.future().onComplete(x -> startJob(job));
      return job;
    }
    rebuilds.put(name, job);
    if (job.mode() == RebuildJob.Mode.SHAPE) {
      unserve(name); // the old shape is not what the entity defines any more
    }
    job.start().future().onComplete(ar -> {
      rebuilds.remove(name, job);
      recent.addFirst(job);
      while (recent.size() > RECENT_JOBS) {
        recent.removeLast();
      }
      if (ar.succeeded()) {
        refreshServing();
      }
    });
    return job;
  }

  private Future<JobAccepted> rebuildRequest(CacheEntityRequest req) {
    String name = CacheRegistry.requireName(req.entity());
    return Bus.request(bus, Addresses.ENTITIES_GET, new EntityNameRequest(name), EntityReply.class).map(reply -> {
      Entity e = reply.entity();
      if (e.status() == EntityStatus.deleted) {
        throw BusException.notFound("entity " + name + " is deleted");
      }
      RebuildJob.Mode mode = registry.exists(name) ? RebuildJob.Mode.RECREATE : RebuildJob.Mode.INITIAL;
      RebuildJob job = rebuild(e, mode);
      return new JobAccepted(job.jobId(), name);
    });
  }

  // ------------------------------------------------------------------ entity changes

  private void onEntityChanged(EntityChanged ev) {
    Entity e = ev.entity();
    if (e == null || !EntityValidator.isValidName(e.name())) {
      return;
    }
    String name = e.name();
    if (EntityChanged.DELETED.equals(ev.change()) || e.status() == EntityStatus.deleted) {
      tombstones.put(name, e);
      drop(name, "entity deleted");
      return;
    }
    if (EntityChanged.CREATED.equals(ev.change())) {
      tombstones.remove(name);
    }
    if (registry.exists(name)) {
      checkShape(e);
    }
  }

  /** Starts a shape rebuild when the cache file holds another (older) shape than {@code e}. */
  private void checkShape(Entity e) {
    RebuildJob running = rebuilds.get(e.name());
    if (running != null && running.entity().shape().hash().equals(e.shape().hash())) {
      return;
    }
    blocking(() -> registry.meta(e.name())).onSuccess(meta -> {
      if (meta != null && meta.shapeHash() != null && !meta.shapeHash().equals(e.shape().hash()) && e.version() >= meta.entityVersion()) {
        LOG.info("cache {}: shape changed ({} -> {}), rebuilding from the oplog", e.name(), meta.shapeHash(), e.shape().hash());
        rebuild(e, RebuildJob.Mode.SHAPE);
      }
    }).onFailure(err -> LOG.warn("cache {}: shape check failed: {}", e.name(), err.toString()));
  }

  private Future<Boolean> drop(String name, String reason) {
    unserve(name);
    RebuildJob running = rebuilds.get(name);
    if (running != null) {
      running.cancel();
    }
    return blocking(() -> registry.drop(name)).onSuccess(existed -> {
      if (existed) {
        bus.publish(Addresses.STATUS, StatusEvent.of(StatusEvent.TYPE_PROGRESS, COMPONENT, name, "dropped",
            new JsonObject().put("node", config.nodeId()).put("reason", reason)));
      }
    }).onFailure(err -> LOG.warn("cache {}: drop failed: {}", name, err.toString()));
  }

  private Future<CacheInfoReply> dropRequest(CacheEntityRequest req) {
    String name = CacheRegistry.requireName(req.entity());
    return drop(name, "drop requested").map(existed -> new CacheInfoReply(new JsonObject()
        .put("node", config.nodeId()).put("entity", name).put("dropped", existed).put("open_connections", registry.openConnections())));
  }

  /**
   * Reconciles the caches on disk with the entity store: drops caches of deleted (or unknown)
   * entities and rebuilds caches whose shape is out of date. Runs at start and every cleanup interval.
   */
  private Future<Void> reconcile() {
    return Bus.request(bus, Addresses.ENTITIES_LIST, new EntityListRequest(true), EntityListReply.class).compose(list -> {
      Map<String, Entity> byName = new HashMap<>();
      list.entities().forEach(e -> byName.put(e.name(), e));
      List<Future<?>> work = new ArrayList<>();
      for (String name : registry.existingNames()) {
        Entity e = byName.get(name);
        if (e == null) {
          Future<Boolean> lookup = Bus.request(bus, Addresses.ENTITIES_GET, new EntityNameRequest(name), EntityReply.class)
              .map(r -> false)
              .recover(err -> Bus.codeOf(err) == ErrorCodes.NOT_FOUND ? drop(name, "entity unknown") : Future.failedFuture(err));
          work.add(lookup);
        } else if (e.status() == EntityStatus.deleted) {
          tombstones.put(name, e);
          work.add(drop(name, "entity deleted"));
        } else {
          checkShape(e);
        }
      }
      return Future.join(work).<Void>mapEmpty();
    }).onComplete(x -> refreshServing());
  }

  // ------------------------------------------------------------------ serving reads cluster-wide

  /**
   * Rule for {@code emc.cache.query.ENTITY}: this node registers the clustered read consumer once its
   * replicator reports the entity caught up ({@code lag_rows == 0} on a progress event of this node,
   * or in {@code emc.replicator.stats}) while the cache file exists with the entity's shape. It stays
   * registered while the cache lags afterwards; it is removed when the cache is dropped, while a
   * shape rebuild runs, and at stop.
   */
  private void onStatus(StatusEvent ev) {
    if (!"replicator".equals(ev.component()) || !StatusEvent.TYPE_PROGRESS.equals(ev.type()) || ev.entity() == null) {
      return;
    }
    JsonObject d = ev.data();
    if (!config.nodeId().equals(d.getString("node"))) {
      return;
    }
    Object lag = d.getValue("lag_rows");
    if (lag instanceof Number n && n.longValue() == 0) {
      serve(ev.entity());
    }
  }

  private void refreshServing() {
    if (stopping) {
      return;
    }
    Bus.request(bus, Addresses.REPLICATOR_STATS, new HealthRequest(), HealthReply.class).onSuccess(h -> {
      if (!config.nodeId().equals(h.details().getString("node"))) {
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

  private void serve(String name) {
    if (stopping || serving.containsKey(name) || !registry.exists(name)) {
      return;
    }
    RebuildJob running = rebuilds.get(name);
    if (running != null && running.mode().blocksApplies()) {
      return;
    }
    MessageConsumer<Object> c = bus.consumer(Addresses.cacheQueryFor(name));
    c.handler(m -> serveRead(name, m));
    serving.put(name, c);
    LOG.info("cache {}: caught up, serving {}", name, Addresses.cacheQueryFor(name));
  }

  private void unserve(String name) {
    MessageConsumer<Object> c = serving.remove(name);
    if (c != null) {
      c.unregister();
      LOG.info("cache {}: no longer serving {}", name, Addresses.cacheQueryFor(name));
    }
  }

  private void serveRead(String name, Message<Object> m) {
    Object body = m.body();
    if (body instanceof CacheDocRequest r) {
      Bus.handle(m, CacheDocRequest.class, x -> doc(sameEntity(name, r.entity(), r)));
    } else if (body instanceof CachePageRequest r) {
      Bus.handle(m, CachePageRequest.class, x -> page(sameEntity(name, r.entity(), r)));
    } else if (body instanceof CacheQueryRequest r) {
      Bus.handle(m, CacheQueryRequest.class, x -> query(sameEntity(name, r.entity(), r)));
    } else {
      m.fail(ErrorCodes.BAD_REQUEST, "expected CacheDocRequest, CachePageRequest or CacheQueryRequest, got "
          + (body == null ? "null" : body.getClass().getSimpleName()));
    }
  }

  private static <T> T sameEntity(String address, String entity, T req) {
    if (entity != null && !entity.equals(address)) {
      throw BusException.badRequest("request for entity " + entity + " sent to the read address of " + address);
    }
    return req;
  }

  // ------------------------------------------------------------------ reads

  private Future<CacheRowsReply> doc(CacheDocRequest req) {
    String name = CacheRegistry.requireName(req.entity());
    if (req.docId() == null) {
      throw BusException.badRequest("doc_id is required");
    }
    return blocking(() -> new CacheRowsReply(registry.doc(name, req.docId()), null, false));
  }

  private Future<CacheRowsReply> page(CachePageRequest req) {
    String name = CacheRegistry.requireName(req.entity());
    int limit = req.limit() <= 0 ? Math.min(100, config.queryMaxRows()) : Math.min(req.limit(), config.queryMaxRows());
    return blocking(() -> {
      RowJson.Rows rows = registry.page(name, req.after(), limit);
      String next = rows.truncated() && !rows.rows().isEmpty() ? rows.rows().get(rows.rows().size() - 1).getString(CacheSchema.DOC_ID) : null;
      return new CacheRowsReply(rows.rows(), next, false);
    });
  }

  private Future<CacheRowsReply> query(CacheQueryRequest req) {
    String name = CacheRegistry.requireName(req.entity());
    ReadOnlyQuery.check(req.sql());
    int maxRows = req.maxRows() <= 0 ? config.queryMaxRows() : Math.min(req.maxRows(), config.queryMaxRows());
    long timeout = req.timeoutMs() <= 0 ? config.queryTimeoutMs() : Math.min(req.timeoutMs(), config.queryTimeoutMs());
    JsonArray params = req.params();
    return blocking(() -> {
      RowJson.Rows rows = registry.query(name, req.sql(), params, maxRows, timeout);
      return new CacheRowsReply(rows.rows(), null, rows.truncated());
    });
  }

  private Future<CacheInfoReply> info(CacheEntityRequest req) {
    if (req.entity() != null) {
      String name = CacheRegistry.requireName(req.entity());
      return blocking(() -> registry.info(name)).map(i -> new CacheInfoReply(infoEnvelope(new JsonObject().put(name, decorate(name, i)))));
    }
    return blocking(registry::infoAll).map(all -> {
      JsonObject out = new JsonObject();
      all.forEach(en -> out.put(en.getKey(), decorate(en.getKey(), (JsonObject) en.getValue())));
      return new CacheInfoReply(infoEnvelope(out));
    });
  }

  private JsonObject decorate(String name, JsonObject info) {
    RebuildJob job = rebuilds.get(name);
    return info.put("serving", serving.containsKey(name)).put("rebuild", job == null ? null : job.toJson());
  }

  private JsonObject infoEnvelope(JsonObject entities) {
    return new JsonObject().put("node", config.nodeId()).put("open_connections", registry.openConnections()).put("entities", entities);
  }

  private HealthReply health() {
    JsonArray jobs = new JsonArray();
    scheduler.stats().stream().map(JobStats::toJson).forEach(jobs::add);
    JsonArray rebuildJobs = new JsonArray();
    rebuilds.values().forEach(j -> rebuildJobs.add(j.toJson()));
    recent.forEach(j -> rebuildJobs.add(j.toJson()));
    JsonObject details = new JsonObject()
        .put("node", config.nodeId())
        .put("data_dir", config.dataDir().toAbsolutePath().toString())
        .put("open_connections", registry.openConnections())
        .put("caches", new JsonArray(new ArrayList<>(registry.existingNames())))
        .put("serving", new JsonArray(new ArrayList<>(serving.keySet())))
        .put("rows_applied", appliedTotal)
        .put("values_nulled", nulledTotal)
        .put("rebuilds", rebuildJobs)
        .put("jobs", jobs);
    return new HealthReply(COMPONENT, true, stopping ? "stopping" : "running", details);
  }

  // ------------------------------------------------------------------ plumbing

  private <T, R> void local(String address, Class<T> type, Function<T, Future<R>> handler) {
    MessageConsumer<Object> c = bus.localConsumer(address);
    c.handler(m -> Bus.handle(m, type, handler));
    consumers.add(c);
  }

  private <T> Future<T> blocking(Callable<T> work) {
    return workers.executeBlocking(work, false);
  }

  private void publishComponent(String state) {
    bus.publish(Addresses.STATUS, StatusEvent.of(StatusEvent.TYPE_COMPONENT, COMPONENT, null, state,
        new JsonObject().put("node", config.nodeId()).put("data_dir", config.dataDir().toAbsolutePath().toString())));
  }
}
