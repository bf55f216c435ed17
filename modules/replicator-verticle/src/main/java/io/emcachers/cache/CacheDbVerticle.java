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
import io.emcachers.core.messages.EntityChanged;
import io.emcachers.core.messages.EntityListReply;
import io.emcachers.core.messages.EntityListRequest;
import io.emcachers.core.messages.EntityNameRequest;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.core.messages.JobAccepted;
import io.emcachers.core.messages.StatusEvent;
import io.emcachers.core.metrics.Meters;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.validation.EntityValidator;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
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
 * rebuilds caches ({@link RebuildJob}). Every {@code emc.cache.*} consumer is node-local. A clustered
 * consumer on {@code emc.cache.query.ENTITY} is registered for each entity whose cache this node
 * serves ({@link ReadAddresses} has the rule). SQLite work runs on a small worker pool, never on the
 * event loop.
 */
public final class CacheDbVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(CacheDbVerticle.class);
  public static final String COMPONENT = "cache";
  static final String JOB_IDLE = "cache-idle-cleanup";
  static final String JOB_RECONCILE = "cache-reconcile";
  private static final int WORKERS = 4;
  /**
   * Header of an {@code emc.cache.apply} request, {@code "true"} when the batch it belongs to brings
   * every cache of the node to the oplog head as last read: after that apply the cache is caught up,
   * and its read address is registered before the reply (so before the replicator records its offset).
   */
  public static final String CAUGHT_UP_HEADER = "emc-caught-up";

  private CacheConfig config;
  private CacheRegistry registry;
  private WorkerExecutor workers;
  private JobScheduler scheduler;
  private EventBus bus;
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private CacheReads reads;
  private ReadAddresses readAddresses;
  private RebuildJobs rebuilds;
  /** Deleted entities: their rows are not applied and no cache is created for them. */
  private final Map<String, Entity> tombstones = new HashMap<>();
  private final AppliesInFlight inFlight = new AppliesInFlight();
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
    meters = Meters.registry();
    reads = new CacheReads(config, registry, workers);
    readAddresses = new ReadAddresses(bus, config.nodeId(), reads, name -> {
      RebuildJob running = rebuilds.running(name);
      return registry.exists(name) && (running == null || running.liveServes());
    });
    rebuilds = new RebuildJobs((e, mode) -> new RebuildJob(e, mode, registry, workers, bus, context, config, inFlight), readAddresses);
    applyTimer = Timer.builder("emc_cache_apply_seconds").description("time to apply one batch to a cache").register(meters);

    return blocking(registry::scan).compose(found -> {
      LOG.info("cache-db {}: {} cache(s) under {}: {}", config.nodeId(), found.size(), config.dbsDir().toAbsolutePath(), found);
      MessageConsumer<Object> applies = bus.localConsumer(Addresses.CACHE_APPLY);
      applies.handler(m -> Bus.handle(m, CacheApplyRequest.class, req -> "true".equals(m.headers().get(CAUGHT_UP_HEADER))
          ? apply(req).compose(reply -> readAddresses.serve(reply.entity()).map(reply))
          : apply(req)));
      consumers.add(applies);
      local(Addresses.CACHE_GET_DOC, CacheDocRequest.class, reads::doc);
      local(Addresses.CACHE_PAGE, CachePageRequest.class, reads::page);
      local(Addresses.CACHE_QUERY, CacheQueryRequest.class, reads::query);
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
          readAddresses.onStatus(ev);
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
    Future<Void> jobs = rebuilds.stop();
    List<Future<?>> all = new ArrayList<>();
    consumers.forEach(c -> all.add(c.unregister()));
    all.add(readAddresses.close());
    all.add(scheduler.shutdown(Duration.ofSeconds(5)));
    return Future.join(all)
        .transform(x -> jobs)
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
    RebuildJob running = rebuilds.running(name);
    if (running != null && running.blocksApplies()) {
      return running.future().transform(x -> apply(req));
    }
    long start = System.nanoTime();
    inFlight.begin(name);
    return blocking(() -> registry.apply(e, req.rows()))
        .onComplete(x -> inFlight.end(name))
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
            return rebuilds.rebuild(e, RebuildJob.Mode.INITIAL).future().compose(x -> apply(req));
          }
          if (err instanceof IdentityMismatchException) {
            LOG.info("{}; rebuilding from the oplog", err.getMessage());
            return rebuilds.rebuild(e, RebuildJob.Mode.SHAPE).future().compose(x -> apply(req));
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

  private Future<JobAccepted> rebuildRequest(CacheEntityRequest req) {
    String name = CacheRegistry.requireName(req.entity());
    return Bus.request(bus, Addresses.ENTITIES_GET, new EntityNameRequest(name), EntityReply.class).map(reply -> {
      Entity e = reply.entity();
      if (e.status() == EntityStatus.deleted) {
        throw BusException.notFound("entity " + name + " is deleted");
      }
      RebuildJob.Mode mode = registry.exists(name) ? RebuildJob.Mode.RECREATE : RebuildJob.Mode.INITIAL;
      RebuildJob job = rebuilds.rebuild(e, mode);
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
      checkIdentity(e);
    }
  }

  /**
   * Starts a rebuild (mode shape) when the cache file is not a cache of {@code e} as it is now:
   * another shape, incarnation or doc-id rule ({@link CacheIdentity#mismatch}).
   */
  private void checkIdentity(Entity e) {
    RebuildJob running = rebuilds.running(e.name());
    if (running != null && CacheIdentity.same(running.entity(), e)) {
      return;
    }
    blocking(() -> registry.meta(e.name())).onSuccess(meta -> {
      String mismatch = CacheIdentity.mismatch(meta, e);
      if (mismatch != null) {
        LOG.info("cache {} {}; rebuilding from the oplog", e.name(), mismatch);
        rebuilds.rebuild(e, RebuildJob.Mode.SHAPE);
      }
    }).onFailure(err -> LOG.warn("cache {}: identity check failed: {}", e.name(), err.toString()));
  }

  private Future<Boolean> drop(String name, String reason) {
    readAddresses.unserve(name);
    RebuildJob running = rebuilds.running(name);
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
   * entities and rebuilds caches whose shape, incarnation or doc-id rule is out of date. Runs at
   * start and every cleanup interval.
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
          checkIdentity(e);
        }
      }
      return Future.join(work).<Void>mapEmpty();
    }).onComplete(x -> readAddresses.refresh());
  }

  // ------------------------------------------------------------------ info and health

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
    RebuildJob job = rebuilds.running(name);
    return info.put("serving", readAddresses.serves(name)).put("rebuild", job == null ? null : job.toJson());
  }

  private JsonObject infoEnvelope(JsonObject entities) {
    return new JsonObject().put("node", config.nodeId()).put("open_connections", registry.openConnections()).put("entities", entities);
  }

  private HealthReply health() {
    JsonArray jobs = new JsonArray();
    scheduler.stats().stream().map(JobStats::toJson).forEach(jobs::add);
    JsonObject details = new JsonObject()
        .put("node", config.nodeId())
        .put("data_dir", config.dataDir().toAbsolutePath().toString())
        .put("open_connections", registry.openConnections())
        .put("caches", new JsonArray(new ArrayList<>(registry.existingNames())))
        .put("serving", new JsonArray(readAddresses.names()))
        .put("rows_applied", appliedTotal)
        .put("values_nulled", nulledTotal)
        .put("rebuilds", rebuilds.toJson())
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
