package io.emcachers.verify;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.BusException;
import io.emcachers.core.bus.ConsumerGroup;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.client.BusCaller;
import io.emcachers.core.client.EntitiesClient;
import io.emcachers.core.client.OplogClient;
import io.emcachers.core.jobs.JobScheduler;
import io.emcachers.core.messages.VerifyJob;
import io.emcachers.core.messages.VerifyJobRequest;
import io.emcachers.core.messages.VerifyListReply;
import io.emcachers.core.messages.VerifyListRequest;
import io.emcachers.core.messages.VerifyStartRequest;
import io.emcachers.core.metrics.Meters;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.status.ComponentState;
import io.emcachers.core.status.StatusPublisher;
import io.emcachers.core.validation.EntityValidator;
import io.emcachers.mongo.MongoSource;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The verifier of one node (role {@code replicator}, deployed after the cache-db manager): verifies
 * this node's caches against MongoDB and repairs what differs ({@link VerifyRun}). Bus: {@code
 * emc.verify.start|list|get}; runs that a stop or a crash interrupted resume from their stored
 * progress when the verticle starts; scheduled runs when {@code verify.interval_ms} > 0. A start
 * needs a live entity with a cache on this node ({@link VerifiableEntity}).
 */
public final class VerifyVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(VerifyVerticle.class);

  /** Runs kept for {@code emc.verify.list} / {@code get}. */
  static final int MAX_JOBS = 100;

  static final String COMPONENT = "verify";
  static final String SCHEDULED_JOB = "verify-scheduled";

  private VerifyConfig config;
  private ConsumerGroup consumers;
  private StatusPublisher status;
  private MongoSource source;
  private JobScheduler scheduler;
  private VerifyRun.With with;
  private final Map<String, VerifyRun> active = new HashMap<>();
  private final Map<String, VerifyProgress> jobs = new LinkedHashMap<>();
  private final Map<String, Future<VerifyProgress>> running = new HashMap<>();

  @Override
  public Future<?> start() {
    config = VerifyConfig.fromJson(config());
    status = new StatusPublisher(vertx.eventBus(), COMPONENT, config.nodeId());
    source =
        new MongoSource(
            vertx.getOrCreateContext(), config.mongoUrl(), config.database(), config.circuit());
    BusCaller bus = new BusCaller(vertx.eventBus());
    with =
        new VerifyRun.With(
            vertx,
            config,
            new OplogClient(bus),
            new EntitiesClient(bus),
            bus,
            source,
            new ProgressStore(vertx, config.progressDir()),
            new VerifyMetrics(Meters.registry()),
            Clock.systemUTC());
    consumers =
        new ConsumerGroup(vertx)
            .handle(Addresses.VERIFY_START, VerifyStartRequest.class, this::start)
            .handle(
                Addresses.VERIFY_LIST, VerifyListRequest.class, r -> Future.succeededFuture(list()))
            .handle(Addresses.VERIFY_GET, VerifyJobRequest.class, this::get);
    scheduler = new JobScheduler(vertx);
    if (config.intervalMs() > 0) {
      scheduler.schedule(
          SCHEDULED_JOB,
          Duration.ofMillis(config.intervalMs()),
          Duration.ofMillis(config.intervalMs()),
          ctx -> scheduledRun());
    }
    return consumers
        .ready()
        .compose(v -> with.store().loadAll())
        .map(
            stored -> {
              for (JsonObject json : stored) {
                try {
                  VerifyProgress p = VerifyProgress.fromJson(json, config.buckets());
                  remember(p);
                  if (p.resumable()) {
                    p.resumes++;
                    p.state = VerifyJob.RUNNING;
                    launch(p);
                  }
                } catch (RuntimeException e) {
                  LOG.warn(
                      "verify: ignoring stored progress {}: {}",
                      json.getString("id"),
                      e.toString());
                }
              }
              status.component(
                  ComponentState.RUNNING, new JsonObject().put("resumed", active.size()));
              LOG.info(
                  "verify: ready ({} stored run(s), {} resumed; scheduled every {} ms)",
                  stored.size(),
                  active.size(),
                  config.intervalMs());
              return null;
            });
  }

  @Override
  public Future<?> stop() {
    active.values().forEach(VerifyRun::stop);
    List<Future<VerifyProgress>> waits = new ArrayList<>(running.values());
    return scheduler
        .shutdown(Duration.ofSeconds(5))
        .compose(v -> Future.join(waits).otherwiseEmpty())
        .timeout(30, java.util.concurrent.TimeUnit.SECONDS)
        .otherwiseEmpty()
        .compose(v -> consumers.unregisterAll())
        .onComplete(
            ar -> {
              source.close();
              status.component(ComponentState.STOPPED, new JsonObject());
            });
  }

  // ------------------------------------------------------------------ bus

  private Future<VerifyJob> start(VerifyStartRequest req) {
    String name = req.entity();
    if (name == null || !EntityValidator.isValidName(name)) {
      return Future.failedFuture(BusException.badRequest("invalid entity name: " + name));
    }
    VerifyRun current = active.get(name);
    if (current != null && !VerifyJob.RUNNING.equals(current.progress().state)) {
      // finished (as a get already tells) but its last progress write is still landing: start
      // after it, so a client that saw "finished" is not refused and the two runs never write
      // the entity's progress file at once
      return running
          .getOrDefault(current.progress().id, Future.succeededFuture())
          .transform(ar -> start(req));
    }
    if (current != null) {
      return Future.failedFuture(
          new BusException(
              ErrorCodes.CONFLICT,
              "a verification of "
                  + name
                  + " is already running: "
                  + active.get(name).progress().id));
    }
    return VerifiableEntity.check(with, name)
        .map(
            entity -> {
              if (active.containsKey(name)) {
                throw new BusException(
                    ErrorCodes.CONFLICT, "a verification of " + name + " is already running");
              }
              VerifyProgress stored = storedResumable(name);
              VerifyProgress p;
              if (stored != null) {
                p = stored;
                p.resumes++;
                p.state = VerifyJob.RUNNING;
              } else {
                p =
                    new VerifyProgress(
                        UUID.randomUUID().toString(),
                        name,
                        config.nodeId(),
                        req.repair(),
                        with.clock().instant(),
                        config.buckets());
              }
              remember(p);
              launch(p);
              return p.toJob(with.clock().instant());
            });
  }

  private Future<VerifyJob> get(VerifyJobRequest req) {
    VerifyProgress p = req.id() == null ? null : jobs.get(req.id());
    if (p == null) {
      return Future.failedFuture(BusException.notFound("no verification " + req.id()));
    }
    return Future.succeededFuture(p.toJob(with.clock().instant()));
  }

  private VerifyListReply list() {
    List<VerifyJob> out = new ArrayList<>();
    jobs.values().forEach(p -> out.add(p.toJob(with.clock().instant())));
    out.sort(Comparator.comparing(VerifyJob::startedAt).reversed());
    return new VerifyListReply(out);
  }

  // ------------------------------------------------------------------ runs

  private VerifyProgress storedResumable(String entity) {
    for (VerifyProgress p : jobs.values()) {
      if (p.entity.equals(entity) && p.resumable() && !active.containsKey(entity)) {
        return p;
      }
    }
    return null;
  }

  private void remember(VerifyProgress p) {
    jobs.remove(p.id);
    jobs.put(p.id, p);
    while (jobs.size() > MAX_JOBS) {
      String oldest = jobs.keySet().iterator().next();
      if (active.values().stream().anyMatch(r -> r.progress().id.equals(oldest))) {
        break;
      }
      jobs.remove(oldest);
    }
  }

  private Future<VerifyProgress> launch(VerifyProgress p) {
    VerifyRun run = new VerifyRun(with, p, this::published);
    active.put(p.entity, run);
    published(p);
    Future<VerifyProgress> f =
        run.run()
            .onComplete(
                ar -> {
                  active.remove(p.entity);
                  running.remove(p.id);
                });
    running.put(p.id, f);
    return f;
  }

  private void published(VerifyProgress p) {
    VerifyJob job = p.toJob(with.clock().instant());
    JsonObject data = job.toJson();
    data.put("job_id", job.id());
    status.progress(p.entity, p.state, data);
  }

  /** A scheduled pass: every live entity with a cache here, one after the other. */
  private Future<Void> scheduledRun() {
    return with.entities()
        .list(false)
        .compose(
            list -> {
              Future<Void> chain = Future.succeededFuture();
              for (Entity e : list.entities()) {
                if (e.status() != EntityStatus.live) {
                  continue;
                }
                chain =
                    chain.compose(
                        v ->
                            start(new VerifyStartRequest(e.name(), config.scheduledRepair()))
                                .compose(
                                    job -> running.getOrDefault(job.id(), Future.succeededFuture()))
                                .<Void>mapEmpty()
                                .otherwiseEmpty());
              }
              return chain;
            });
  }
}
