package io.emcachers.replicator;

import io.emcachers.cache.CacheDbVerticle;
import io.emcachers.cache.CacheErrors;
import io.emcachers.cache.CacheRegistry;
import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.ConsumerGroup;
import io.emcachers.core.client.CacheClient;
import io.emcachers.core.client.EntitiesClient;
import io.emcachers.core.client.OplogClient;
import io.emcachers.core.cluster.ClusterView;
import io.emcachers.core.cluster.MembershipConfig;
import io.emcachers.core.jobs.JobScheduler;
import io.emcachers.core.jobs.JobStats;
import io.emcachers.core.messages.CacheEntityRequest;
import io.emcachers.core.messages.EntityChanged;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.core.messages.JobAccepted;
import io.emcachers.core.messages.OplogAppended;
import io.emcachers.core.messages.ReplicaReportReply;
import io.emcachers.core.messages.StatusEvent;
import io.emcachers.core.metrics.Meters;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.status.ComponentState;
import io.emcachers.core.status.StatusPublisher;
import io.emcachers.replicator.partition.Partitioner;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicator of a node: pulls the oplog after the node offset and applies it to the node's
 * caches through the cache-db manager ({@link SyncLoop}); publishes progress and lag on {@code
 * emc.status} ({@link ProgressTracker}); answers {@code emc.replicator.stats} and {@code
 * emc.replicator.recreate} (node-local). Listens to {@code emc.oplog.appended} and {@code
 * emc.entities.changed} cluster-wide.
 */
public final class ReplicatorVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(ReplicatorVerticle.class);
  static final String JOB_STATUS = "replicator-status";
  static final String JOB_REPORT = "replicator-replica-report";
  private static final int RECENT_JOBS = 20;

  private ReplicatorConfig config;
  private NodeOffsetStore offsets;
  private EntityDirectory entities;
  private ProgressTracker progress;
  private SyncLoop loop;
  private CacheClient cache;
  private JobScheduler scheduler;
  private ConsumerGroup consumers;
  private ClusterView view;
  private Partitioner partitioner;
  private final Deque<JsonObject> recreateJobs = new ArrayDeque<>();

  @Override
  public Future<?> start() {
    config = ReplicatorConfig.fromJson(config());
    EventBus bus = vertx.eventBus();
    offsets = new NodeOffsetStore(config.metaDbPath());
    cache = new CacheClient(bus);
    entities = new EntityDirectory(new EntitiesClient(bus));
    view = new ClusterView(vertx, MembershipConfig.fromJson(config()));
    partitioner =
        new Partitioner(
            config.nodeId(),
            config.partitioned(),
            config.replicas(),
            view,
            new StatusPublisher(bus, ProgressTracker.COMPONENT, config.nodeId()),
            this::gain);
    entities.scope(partitioner::holds);
    MeterRegistry meters = Meters.registry();
    progress =
        new ProgressTracker(
            new StatusPublisher(bus, ProgressTracker.COMPONENT), config.nodeId(), meters);
    loop =
        new SyncLoop(
            vertx,
            context,
            config,
            offsets,
            entities,
            progress,
            meters,
            new OplogClient(bus),
            cache,
            partitioner);
    scheduler = new JobScheduler(vertx);

    consumers =
        new ConsumerGroup(vertx)
            .listen(
                Addresses.OPLOG_APPENDED,
                OplogAppended.class,
                a -> {
                  progress.onHead(a.headId());
                  Long pos = loop.position();
                  if (pos == null || a.headId() > pos) {
                    loop.wake();
                  }
                })
            .listen(
                Addresses.ENTITIES_CHANGED,
                EntityChanged.class,
                ev -> {
                  if (ev.entity() == null) {
                    return;
                  }
                  entities.onChanged(ev);
                  reassess();
                  if (EntityChanged.DELETED.equals(ev.change())
                      || ev.entity().status() == EntityStatus.deleted) {
                    progress.onEntityDeleted(ev.entity().name());
                  } else if (EntityChanged.CREATED.equals(ev.change())) {
                    loop.wake();
                  }
                })
            .listenLocal(
                Addresses.STATUS,
                StatusEvent.class,
                ev -> {
                  // a cache rebuild reads from 0: report at once so the horizon stays behind it
                  if (StatusEvent.TYPE_PROGRESS.equals(ev.type())
                      && CacheDbVerticle.COMPONENT.equals(ev.component())
                      && "started".equals(ev.state())
                      && ev.data() != null
                      && "rebuild".equals(ev.data().getString("kind"))) {
                    loop.report();
                  }
                })
            .handleLocal(
                Addresses.REPLICATOR_STATS,
                HealthRequest.class,
                req -> Future.succeededFuture(stats()))
            .handleLocal(
                Addresses.REPLICATOR_RECREATE,
                CacheEntityRequest.class,
                CacheErrors.mapped(this::recreate))
            // the same, addressed to this node from any node (cluster-wide recreate, ?node=ID)
            .handle(
                Addresses.replicatorRecreateFor(config.nodeId()),
                CacheEntityRequest.class,
                CacheErrors.mapped(this::recreate));
    if (partitioner.partitioned()) {
      view.listen(consumers).onChange(this::reassess);
    }

    // the offset store is opened (and meta.sqlite created) before the loop starts
    // caches found on disk stay held (partitioned mode) until their assigned holders serve them
    Future<Void> onDisk =
        !partitioner.partitioned()
            ? Future.succeededFuture()
            : cache
                .info(null)
                .map(
                    info -> {
                      partitioner.existing(
                          info.info().getJsonObject("entities", new JsonObject()).fieldNames());
                      return null;
                    });
    return onDisk
        .compose(x -> vertx.executeBlocking(offsets::read, false))
        .compose(offset -> consumers.ready().map(offset))
        .onSuccess(
            offset -> {
              scheduler.schedule(
                  JOB_STATUS,
                  Duration.ofMillis(config.statusIntervalMs()),
                  Duration.ofMillis(config.statusIntervalMs()),
                  ctx -> {
                    reassess();
                    progress.publish(entities.active());
                    return Future.succeededFuture();
                  });
              // the first report is made by the loop before its first read
              scheduler.schedule(
                  JOB_REPORT,
                  Duration.ofMillis(config.reportIntervalMs()),
                  Duration.ofMillis(config.reportIntervalMs()),
                  ctx -> loop.report().mapEmpty());
              LOG.info(
                  "replicator {}: started, offset {} in {}, poll every {} ms, batches of {}",
                  config.nodeId(),
                  offset,
                  offsets.path(),
                  config.pollIntervalMs(),
                  config.readBatchSize());
              if (partitioner.partitioned()) {
                LOG.info(
                    "replicator {}: partitioned mode, {} holder(s) per entity; deciding what to hold once the member list has settled ({} ms)",
                    config.nodeId(),
                    config.replicas(),
                    view.config().settleMs());
              }
              loop.start();
            });
  }

  @Override
  public Future<?> stop() {
    List<Future<?>> all = new ArrayList<>();
    view.stop();
    all.add(consumers.unregisterAll());
    all.add(scheduler.shutdown(Duration.ofSeconds(5)));
    all.add(loop.stop());
    return Future.join(all)
        .transform(
            x ->
                vertx.executeBlocking(
                    () -> {
                      offsets.close();
                      return null;
                    },
                    false))
        .onComplete(
            x -> {
              progress.setState(ComponentState.STOPPED);
              LOG.info("replicator {}: stopped at offset {}", config.nodeId(), loop.position());
            });
  }

  private HealthReply stats() {
    JsonObject details = progress.details(entities.active());
    JsonArray jobs = new JsonArray();
    scheduler.stats().stream().map(JobStats::toJson).forEach(jobs::add);
    details.put("partition", partitioner.toJson());
    details.put("jobs", jobs).put("recreate_jobs", new JsonArray(new ArrayList<>(recreateJobs)));
    ReplicaReportReply report = loop.lastReport();
    details.put(
        "replica",
        new JsonObject()
            .put("last_report", report == null ? null : report.toJson())
            .put("rebuilding_after_compaction", loop.rebuildingAfterCompaction()));
    return new HealthReply(
        ProgressTracker.COMPONENT, loop.consecutiveErrors() == 0, progress.state().wire(), details);
  }

  /** Recomputes what this node holds (partitioned mode); a release runs at the next pass. */
  private void reassess() {
    if (!partitioner.partitioned() || !entities.loaded()) {
      return;
    }
    partitioner.reassess(entities.all().keySet());
    if (partitioner.hasReleases()) {
      loop.wake();
    }
  }

  /** A newly held entity: build its cache from the oplog now, even if no row of it comes. */
  private void gain(String name) {
    Entity e = entities.all().get(name);
    if (e != null && e.status() == EntityStatus.live) {
      cache
          .rebuild(name)
          .onFailure(
              err ->
                  LOG.warn(
                      "replicator {}: build of newly held {} not started (the next apply starts it): {}",
                      config.nodeId(),
                      name,
                      err.toString()));
    }
    loop.wake();
  }

  /** Forwards to the cache-db manager, which rebuilds into a new file and swaps when caught up. */
  private Future<JobAccepted> recreate(CacheEntityRequest req) {
    String name = CacheRegistry.requireName(req.entity());
    return cache
        .rebuild(name)
        .onSuccess(
            job -> {
              LOG.info(
                  "replicator {}: recreate of {} accepted as job {}",
                  config.nodeId(),
                  name,
                  job.jobId());
              recreateJobs.addFirst(
                  new JsonObject()
                      .put("job_id", job.jobId())
                      .put("entity", name)
                      .put("requested_at", Instant.now().toString()));
              while (recreateJobs.size() > RECENT_JOBS) {
                recreateJobs.removeLast();
              }
            });
  }
}
