package io.emcachers.cache;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.ConsumerGroup;
import io.emcachers.core.client.EntitiesClient;
import io.emcachers.core.client.OplogClient;
import io.emcachers.core.client.ReplicatorClient;
import io.emcachers.core.jobs.JobScheduler;
import io.emcachers.core.jobs.JobStats;
import io.emcachers.core.messages.CacheApplyRequest;
import io.emcachers.core.messages.CacheDocRequest;
import io.emcachers.core.messages.CacheEntityRequest;
import io.emcachers.core.messages.CacheInfoReply;
import io.emcachers.core.messages.CachePageRequest;
import io.emcachers.core.messages.CacheQueryRequest;
import io.emcachers.core.messages.CacheSearchRequest;
import io.emcachers.core.messages.EntityChanged;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.core.messages.StatusEvent;
import io.emcachers.core.metrics.Meters;
import io.emcachers.core.status.ComponentState;
import io.emcachers.core.status.StatusPublisher;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache-db manager of a node: owns {@code {data_dir}/dbs/{entity}/db.sqlite}, applies batches
 * ({@code emc.cache.apply}, {@link CacheApplies}), serves reads ({@code emc.cache.doc|page|query},
 * {@link CacheReads}; {@code info|health} here), drops and rebuilds caches ({@link CacheLifecycle},
 * {@link RebuildJobs}). Every {@code emc.cache.*} consumer is node-local. A clustered consumer on
 * {@code emc.cache.query.ENTITY} is registered for each entity whose cache this node serves ({@link
 * ReadAddresses} has the rule). This is the edge where storage failures become bus codes ({@link
 * CacheErrors}). SQLite work runs on a small worker pool, never on the event loop.
 */
public final class CacheDbVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(CacheDbVerticle.class);
  public static final String COMPONENT = "cache";
  static final String JOB_IDLE = "cache-idle-cleanup";
  static final String JOB_RECONCILE = "cache-reconcile";
  private static final int WORKERS = 4;

  /**
   * Header of an {@code emc.cache.apply} request, {@code "true"} when the batch it belongs to
   * brings every cache of the node to the oplog head as last read: after that apply the cache is
   * caught up, and its read address is registered before the reply (so before the replicator
   * records its offset).
   */
  public static final String CAUGHT_UP_HEADER = "emc-caught-up";

  /**
   * Header of an {@code emc.cache.rebuild} request: {@code true} → the reply comes once the rebuilt
   * file is swapped in (or fails with the job); without it the reply comes at once. Used by the
   * replicator's rebuild after compaction (send it with a long timeout).
   */
  public static final String WAIT_FOR_SWAP_HEADER = "emc-wait-for-swap";

  private CacheConfig config;
  private CacheRegistry registry;
  private WorkerExecutor workers;
  private JobScheduler scheduler;
  private StatusPublisher status;
  private ConsumerGroup consumers;
  private ReadAddresses readAddresses;
  private RebuildJobs rebuilds;
  private CacheApplies applies;
  private CacheLifecycle lifecycle;
  private volatile boolean stopping;

  @Override
  public Future<?> start() {
    config = CacheConfig.fromJson(config());
    registry = new CacheRegistry(config.dbsDir());
    RebuildFiles rebuildFiles = new RebuildFiles(registry);
    EventBus bus = vertx.eventBus();
    status = new StatusPublisher(bus, COMPONENT, config.nodeId());
    OplogClient oplog = new OplogClient(bus);
    workers = vertx.createSharedWorkerExecutor("emc-cache-db", WORKERS, 10, TimeUnit.MINUTES);
    scheduler = new JobScheduler(vertx);
    CacheReads reads = new CacheReads(config, registry, workers);
    readAddresses =
        new ReadAddresses(
            bus,
            new ReplicatorClient(bus),
            config.nodeId(),
            reads,
            name -> {
              RebuildJob running = rebuilds.running(name);
              return registry.exists(name) && (running == null || running.liveServes());
            });
    AppliesInFlight inFlight = new AppliesInFlight();
    rebuilds =
        new RebuildJobs(
            (e, mode) ->
                new RebuildJob(
                    e, mode, rebuildFiles, workers, oplog, status, context, config, inFlight),
            readAddresses,
            (e, error) -> lifecycle.cacheFailed(e, error));
    Tombstones tombstones = new Tombstones();
    applies =
        new CacheApplies(registry, workers, rebuilds, inFlight, tombstones, Meters.registry());
    lifecycle =
        new CacheLifecycle(
            new EntitiesClient(bus),
            status,
            config.nodeId(),
            registry,
            workers,
            rebuilds,
            readAddresses,
            tombstones);

    return blocking(registry::scan)
        .compose(
            found -> {
              LOG.info(
                  "cache-db {}: {} cache(s) under {}: {}",
                  config.nodeId(),
                  found.size(),
                  config.dbsDir().toAbsolutePath(),
                  found);
              // the edge: storage failures (CacheException) become bus failure codes here
              consumers =
                  new ConsumerGroup(vertx)
                      .handleLocalWithHeaders(
                          Addresses.CACHE_APPLY,
                          CacheApplyRequest.class,
                          (req, headers) ->
                              CacheErrors.guard(
                                  () ->
                                      "true".equals(headers.get(CAUGHT_UP_HEADER))
                                          ? applies
                                              .apply(req)
                                              .compose(
                                                  reply ->
                                                      readAddresses
                                                          .serve(reply.entity())
                                                          .map(reply))
                                          : applies.apply(req)))
                      .handleLocal(
                          Addresses.CACHE_GET_DOC,
                          CacheDocRequest.class,
                          CacheErrors.mapped(reads::doc))
                      .handleLocal(
                          Addresses.CACHE_PAGE,
                          CachePageRequest.class,
                          CacheErrors.mapped(reads::page))
                      .handleLocal(
                          Addresses.CACHE_QUERY,
                          CacheQueryRequest.class,
                          CacheErrors.mapped(reads::query))
                      .handleLocal(
                          Addresses.CACHE_SEARCH,
                          CacheSearchRequest.class,
                          CacheErrors.mapped(reads::search))
                      .handleLocal(
                          Addresses.CACHE_DROP,
                          CacheEntityRequest.class,
                          CacheErrors.mapped(lifecycle::dropRequest))
                      .handleLocal(
                          Addresses.CACHE_INFO,
                          CacheEntityRequest.class,
                          CacheErrors.mapped(this::info))
                      .handleLocal(
                          Addresses.CACHE_HEALTH,
                          HealthRequest.class,
                          req -> Future.succeededFuture(health()))
                      .handleLocalWithHeaders(
                          Addresses.CACHE_REBUILD,
                          CacheEntityRequest.class,
                          (req, headers) ->
                              CacheErrors.guard(
                                  () ->
                                      lifecycle.rebuildRequest(
                                          req, "true".equals(headers.get(WAIT_FOR_SWAP_HEADER)))))
                      .listen(
                          Addresses.ENTITIES_CHANGED,
                          EntityChanged.class,
                          lifecycle::onEntityChanged)
                      .listenLocal(Addresses.STATUS, StatusEvent.class, readAddresses::onStatus);
              CacheVerifyHandlers.register(consumers, registry, workers); // emc.cache.verify.*
              scheduler.schedule(
                  JOB_IDLE,
                  Duration.ofMillis(config.cleanupIntervalMs()),
                  Duration.ofMillis(config.cleanupIntervalMs()),
                  ctx -> blocking(() -> registry.closeIdle(config.idleExpiryMs())));
              scheduler.schedule(
                  JOB_RECONCILE,
                  Duration.ofMillis(config.cleanupIntervalMs()),
                  Duration.ZERO,
                  ctx -> lifecycle.reconcile());
              return consumers.ready();
            })
        .onSuccess(
            v -> {
              LOG.info(
                  "cache-db {}: started (idle expiry {} ms, cleanup every {} ms)",
                  config.nodeId(),
                  config.idleExpiryMs(),
                  config.cleanupIntervalMs());
              status.component("started", componentData());
            });
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    Future<Void> jobs = rebuilds.stop();
    List<Future<?>> all = new ArrayList<>();
    if (consumers != null) {
      all.add(consumers.unregisterAll());
    }
    all.add(readAddresses.close());
    all.add(scheduler.shutdown(Duration.ofSeconds(5)));
    return Future.join(all)
        .transform(x -> jobs)
        .transform(
            x ->
                blocking(
                    () -> {
                      registry.closeAll();
                      return null;
                    }))
        .transform(
            x -> {
              LOG.info("cache-db {}: stopped, connections closed", config.nodeId());
              status.component(ComponentState.STOPPED, componentData());
              return workers.close();
            });
  }

  // ------------------------------------------------------------------ info and health

  private Future<CacheInfoReply> info(CacheEntityRequest req) {
    if (req.entity() != null) {
      String name = CacheRegistry.requireName(req.entity());
      return blocking(() -> registry.info(name))
          .map(
              i -> new CacheInfoReply(infoEnvelope(new JsonObject().put(name, decorate(name, i)))));
    }
    return blocking(registry::infoAll)
        .map(
            all -> {
              JsonObject out = new JsonObject();
              all.forEach(
                  en -> out.put(en.getKey(), decorate(en.getKey(), (JsonObject) en.getValue())));
              return new CacheInfoReply(infoEnvelope(out));
            });
  }

  private JsonObject decorate(String name, JsonObject info) {
    RebuildJob job = rebuilds.running(name);
    RebuildJobs.Failure failure = rebuilds.failed(name);
    if (failure != null) {
      info.put("failed", failure.toJson()); // the data violates a unique index of the shape
    }
    return info.put("serving", readAddresses.serves(name))
        .put("rebuild", job == null ? null : job.toJson());
  }

  private JsonObject infoEnvelope(JsonObject entities) {
    return new JsonObject()
        .put("node", config.nodeId())
        .put("open_connections", registry.openConnections())
        .put("entities", entities);
  }

  private HealthReply health() {
    JsonArray jobs = new JsonArray();
    scheduler.stats().stream().map(JobStats::toJson).forEach(jobs::add);
    JsonObject details =
        new JsonObject()
            .put("node", config.nodeId())
            .put("data_dir", config.dataDir().toAbsolutePath().toString())
            .put("open_connections", registry.openConnections())
            .put("caches", new JsonArray(new ArrayList<>(registry.existingNames())))
            .put("serving", new JsonArray(readAddresses.names()))
            .put("rows_applied", applies.appliedTotal())
            .put("values_nulled", applies.nulledTotal())
            .put("rebuilds", rebuilds.toJson())
            .put("jobs", jobs);
    return new HealthReply(
        COMPONENT,
        true,
        (stopping ? ComponentState.STOPPING : ComponentState.RUNNING).wire(),
        details);
  }

  // ------------------------------------------------------------------ plumbing

  private <T> Future<T> blocking(Callable<T> work) {
    return workers.executeBlocking(work, false);
  }

  /** The data of this component's status events ({@code node} is added by the publisher). */
  private JsonObject componentData() {
    return new JsonObject().put("data_dir", config.dataDir().toAbsolutePath().toString());
  }
}
