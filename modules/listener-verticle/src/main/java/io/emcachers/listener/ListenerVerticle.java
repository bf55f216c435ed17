package io.emcachers.listener;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.circuit.BreakerConfig;
import io.emcachers.core.client.OplogClient;
import io.emcachers.core.jobs.JobScheduler;
import io.emcachers.core.jobs.JobStats;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.core.retry.Backoff;
import io.emcachers.core.status.ComponentState;
import io.emcachers.core.status.StatusPublisher;
import io.emcachers.listener.stream.ChangeSource;
import io.emcachers.mongo.MongoSource;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MongoDB listener: turns change-stream events (and entity scans) into oplog entries appended
 * on {@code emc.oplog.append}. It streams only while its node's oplog verticle leads (checked on
 * {@code emc.oplog.leader.local} at start and every {@code listener.leader_check_interval_ms}),
 * unless {@code listener.require_local_leader} is false. Answers {@code emc.listener.health}. Every
 * status event of the listener (its sessions' included) goes through one {@link StatusPublisher}
 * (component {@value #COMPONENT}, {@code data.node} = this node).
 */
public class ListenerVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(ListenerVerticle.class);

  /** The component name in status events and health replies. */
  static final String COMPONENT = "listener";

  private ListenerConfig cfg;
  private ListenerMetrics metrics;
  private CoercionReporter coercion;
  private StatusPublisher status;
  private OplogClient oplog;
  private JobScheduler scheduler;
  private MongoSource probe;
  static final long PING_TIMEOUT_MS = 1500;
  private MessageConsumer<Object> healthConsumer;
  private final Clock clock;
  private final ChangeSource.Factory changes;
  private BreakerConfig circuit;
  private ListenerSession session;
  private Backoff startBackoff;
  private boolean starting;
  private ComponentState state = ComponentState.STARTING;
  private String lastError;
  private long nextStartAt;

  public ListenerVerticle() {
    this(Clock.systemUTC());
  }

  /**
   * {@code clock}: where start retries and every timing of the sessions (checkpoints, reports) read
   * time.
   */
  public ListenerVerticle(Clock clock) {
    this(clock, ChangeSource::mongo);
  }

  /**
   * {@code changes}: where the change streams' events come from; production uses MongoDB ({@link
   * ChangeSource#mongo}), the benchmark a synthetic source (scans and health still use MongoDB).
   */
  public ListenerVerticle(Clock clock, ChangeSource.Factory changes) {
    this.clock = clock;
    this.changes = changes;
  }

  @Override
  public Future<?> start() {
    cfg = ListenerConfig.fromJson(config());
    circuit = BreakerConfig.fromJson(config());
    startBackoff = new Backoff(cfg.initialBackoffMs(), cfg.maxBackoffMs());
    metrics =
        new ListenerMetrics(
            () -> session == null ? 0 : session.window().entriesInFlight(),
            () -> session == null ? 0 : session.window().unackedBatches());
    status = new StatusPublisher(vertx.eventBus(), COMPONENT, cfg.nodeId());
    oplog = new OplogClient(vertx.eventBus());
    coercion = new CoercionReporter(status, metrics, cfg.coercionReportIntervalMs(), clock);
    scheduler = new JobScheduler(vertx);
    probe = new MongoSource(vertx.getOrCreateContext(), cfg.mongoUrl(), cfg.database(), circuit);
    healthConsumer =
        vertx
            .eventBus()
            .consumer(
                Addresses.LISTENER_HEALTH,
                msg -> Bus.handle(msg, HealthRequest.class, req -> pingMongo().map(this::health)));
    scheduler.schedule(
        "listener-leader-check",
        Duration.ofMillis(cfg.leaderCheckIntervalMs()),
        Duration.ZERO,
        ctx -> checkLeader());
    scheduler.schedule(
        "listener-entity-refresh",
        Duration.ofMillis(cfg.entityRefreshIntervalMs()),
        Duration.ofMillis(cfg.entityRefreshIntervalMs()),
        ctx -> session == null || starting ? Future.succeededFuture() : session.refreshEntities());
    scheduler.schedule(
        "listener-coercion-report",
        Duration.ofMillis(cfg.coercionReportIntervalMs()),
        Duration.ofMillis(cfg.coercionReportIntervalMs()),
        ctx -> {
          coercion.flush();
          return Future.succeededFuture();
        });
    LOG.info(
        "listener: started on node {} (database {}, scope {}, batches of {} entries / {} ms, window {} batches, {})",
        cfg.nodeId(),
        cfg.database(),
        cfg.watchScope(),
        cfg.batchMaxEntries(),
        cfg.batchMaxDelayMs(),
        cfg.maxUnackedBatches(),
        cfg.requireLocalLeader()
            ? "streams while the local oplog verticle leads"
            : "local leader not required");
    return healthConsumer.completion();
  }

  @Override
  public Future<?> stop() {
    Future<Void> jobs =
        scheduler == null ? Future.succeededFuture() : scheduler.shutdown(Duration.ofSeconds(5));
    return jobs.onComplete(
        v -> {
          stopSession("verticle stopped");
          if (probe != null) {
            probe.close();
          }
          if (metrics != null) {
            metrics.close();
          }
          LOG.info("listener: stopped");
        });
  }

  // ---- leadership gate ----

  private Future<Void> checkLeader() {
    if (!cfg.requireLocalLeader()) {
      ensureSession(0);
      return Future.succeededFuture();
    }
    return oplog
        .leaderLocal(Math.max(500, Math.min(5000, cfg.leaderCheckIntervalMs())))
        .map(
            reply -> {
              if (ComponentState.parse(reply.state()) == ComponentState.LEADER) {
                long epoch = reply.details().getLong("leader_epoch", 0L);
                if (session != null && session.leaderEpoch() != epoch) {
                  // a new term (this node lost and won the lock again): nothing in flight of the
                  // old one may be written, so start over from the stored positions
                  stopSession(
                      "the leader term changed from " + session.leaderEpoch() + " to " + epoch);
                }
                ensureSession(epoch);
              } else {
                stopSession("local oplog verticle is " + reply.state());
              }
              return (Void) null;
            })
        .recover(
            err -> {
              stopSession("no local oplog leader answers (" + err.getMessage() + ")");
              return Future.succeededFuture();
            });
  }

  private void ensureSession(long leaderEpoch) {
    if (session != null && !session.stopped() || starting || clock.millis() < nextStartAt) {
      return;
    }
    starting = true;
    state = ComponentState.STARTING;
    ListenerSession rt =
        new ListenerSession(
            vertx,
            cfg,
            circuit,
            clock,
            metrics,
            coercion,
            status,
            leaderEpoch,
            () -> stopSession("oplog side answered not_leader"),
            changes);
    session = rt;
    rt.start()
        .onComplete(
            ar -> {
              starting = false;
              if (session != rt) {
                rt.stop();
                return;
              }
              if (ar.succeeded()) {
                int failedStarts = startBackoff.succeeded();
                if (failedStarts > 0) {
                  LOG.info("listener: recovered after {} failed start(s)", failedStarts);
                }
                state = ComponentState.STREAMING;
                publishState();
              } else {
                // not a timer: the leadership gate asks again on its own schedule, and starts once
                // the delay passed
                long delay = startBackoff.failed();
                nextStartAt = clock.millis() + delay;
                lastError = "start failed: " + ar.cause();
                LOG.warn(
                    "listener: start failed ({} consecutive): {}; retrying in {} ms",
                    startBackoff.consecutiveErrors(),
                    ar.cause().toString(),
                    delay);
                rt.stop();
                session = null;
                state = ComponentState.RETRYING;
              }
            });
  }

  private void stopSession(String why) {
    ComponentState newState =
        why.startsWith("verticle") ? ComponentState.STOPPED : ComponentState.STANDBY;
    if (session != null) {
      LOG.info("listener: stops streaming: {}", why);
      if (session.lastError() != null) {
        lastError = session.lastError();
      }
      session.stop();
      session = null;
      starting = false;
      state = newState;
      publishState();
    } else if (newState != state && state != ComponentState.RETRYING) {
      state = newState;
      publishState();
    }
  }

  private void publishState() {
    status.component(state, new JsonObject());
  }

  // ---- health ----

  /**
   * Pings MongoDB for the health reply (bounded by {@link #PING_TIMEOUT_MS}), so an unreachable
   * source shows even while no stream is open; a failure is a value, never a failed health request.
   */
  private Future<JsonObject> pingMongo() {
    return probe
        .command(null, new org.bson.BsonDocument("ping", new org.bson.BsonInt32(1)))
        .timeout(PING_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS)
        .map(pong -> new JsonObject().put("reachable", true))
        .otherwise(
            err ->
                new JsonObject()
                    .put("reachable", false)
                    .put("error", String.valueOf(err.getMessage())));
  }

  private HealthReply health(JsonObject mongo) {
    JsonArray jobs = new JsonArray();
    for (JobStats s : scheduler.stats()) {
      jobs.add(s.toJson());
    }
    JsonObject details =
        new JsonObject()
            .put("node", cfg.nodeId())
            .put("database", cfg.database())
            .put("watch_scope", cfg.watchScope().name())
            .put("require_local_leader", cfg.requireLocalLeader())
            .put("jobs", jobs);
    String error = lastError;
    if (session != null) {
      JsonObject rt = session.toJson();
      rt.fieldNames().forEach(k -> details.put(k, rt.getValue(k)));
      if (session.lastError() != null) {
        error = session.lastError();
      }
    } else {
      details.put("streams", new JsonArray());
      details.put(
          "window",
          new JsonObject()
              .put("max_batches", cfg.maxUnackedBatches())
              .put("unacked_batches", 0)
              .put("entries_in_flight", 0));
    }
    details.put("circuits", session != null ? session.circuitHealth() : probe.circuitHealth());
    details.put("last_error", error);
    details.put("mongo_reachable", mongo.getBoolean("reachable"));
    if (mongo.getValue("error") != null) {
      details.put("mongo_error", mongo.getString("error"));
    }
    boolean ok = state != ComponentState.RETRYING && mongo.getBoolean("reachable");
    return new HealthReply(COMPONENT, ok, state.wire(), details);
  }
}
