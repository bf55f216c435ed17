package io.emcachers.listener;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.circuit.BreakerConfig;
import io.emcachers.core.client.EntitiesClient;
import io.emcachers.core.client.OplogClient;
import io.emcachers.core.messages.EntityChanged;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.model.Entity;
import io.emcachers.core.status.StatusPublisher;
import io.emcachers.listener.flow.BatchWindow;
import io.emcachers.listener.scan.ScanCollaborators;
import io.emcachers.listener.scan.ScanOutcome;
import io.emcachers.listener.scan.ScanQueue;
import io.emcachers.listener.stream.ChangeEvent;
import io.emcachers.listener.stream.ChangeSource;
import io.emcachers.listener.stream.StreamHooks;
import io.emcachers.listener.stream.StreamSet;
import io.emcachers.mongo.MongoSource;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One streaming session of the listener (while this node leads). It owns the parts and wires them:
 * the {@link EntityTable}, the {@link StreamSet}, the pure {@link ChangeRouter}, the {@link
 * ScanQueue} and the shared {@link BatchWindow}. It starts and stops them, hands entity changes
 * (the {@code emc.entities.changed} events, the start's and the refresh's lists, a scan that ends
 * live) to its {@link EntityReconciler}, and turns what the streams and scans report into re-scans,
 * metrics and status events ({@link ListenerReports}). It talks to the oplog side and the entity
 * manager through one {@link OplogClient} and one {@link EntitiesClient}, handed to the parts that
 * send. Everything runs on the verticle's context. A session that loses leadership or fails to
 * start is stopped and replaced by a fresh one.
 */
final class ListenerSession {

  private static final Logger LOG = LoggerFactory.getLogger(ListenerSession.class);

  private final Vertx vertx;
  private final OplogClient oplog;
  private final EntitiesClient entityManager;
  private final ListenerMetrics metrics;
  private final ListenerReports reports;
  private final Runnable onNotLeader;
  private final MongoSource source;
  private final BatchWindow window;
  private final EntityTable entities = new EntityTable();
  private final ChangeRouter router = new ChangeRouter(entities);
  private final StreamSet streams;
  private final ScanQueue scans;
  private final EntityReconciler reconciler;
  private MessageConsumer<Object> changedConsumer;
  private boolean stopped;
  private final long leaderEpoch;

  ListenerSession(
      Vertx vertx,
      ListenerConfig config,
      BreakerConfig circuit,
      Clock clock,
      ListenerMetrics metrics,
      CoercionReporter coercion,
      StatusPublisher status,
      long leaderEpoch,
      Runnable onNotLeader,
      ChangeSource.Factory changes) {
    this.vertx = vertx;
    this.leaderEpoch = leaderEpoch;
    // a session works for one leader term: its writes stay on this node and carry the term
    OplogClient client = new OplogClient(vertx.eventBus());
    this.oplog = leaderEpoch > 0 ? client.fenced(leaderEpoch) : client;
    EntitiesClient entitiesClient = new EntitiesClient(vertx.eventBus());
    this.entityManager = leaderEpoch > 0 ? entitiesClient.fenced(leaderEpoch) : entitiesClient;
    this.metrics = metrics;
    this.reports = new ListenerReports(status, entityManager, metrics, coercion, clock);
    this.onNotLeader = onNotLeader;
    this.source =
        new MongoSource(vertx.getOrCreateContext(), config.mongoUrl(), config.database(), circuit);
    long appendTimeoutMs = config.appendTimeoutMs();
    this.window =
        new BatchWindow(config.maxUnackedBatches(), batch -> oplog.append(batch, appendTimeoutMs));
    this.streams =
        new StreamSet(
            vertx,
            config,
            clock,
            changes.create(source),
            window,
            new StreamHooks(this::route, this::positionLost, reports, this::notLeader),
            oplog);
    this.scans =
        new ScanQueue(
            new ScanCollaborators(
                vertx, config, source, window, entities, new ScanStreamGate(streams), reports),
            oplog,
            this::scanEnded);
    this.reconciler = new EntityReconciler(entities, streams, scans, reports, () -> stopped);
  }

  /** The leader term this session writes for (0: not fenced, no local leader required). */
  long leaderEpoch() {
    return leaderEpoch;
  }

  BatchWindow window() {
    return window;
  }

  // ---- lifecycle ----

  /** Loads entities and stored positions, opens the streams, queues the scans that are due. */
  Future<Void> start() {
    changedConsumer =
        vertx
            .eventBus()
            .consumer(
                Addresses.ENTITIES_CHANGED,
                msg -> {
                  if (!stopped && msg.body() instanceof EntityChanged ec) {
                    reconciler.changed(ec);
                  }
                });
    return changedConsumer
        .completion()
        .compose(v -> entityManager.list(false))
        .compose(
            list ->
                oplog
                    .resumeToken()
                    .map(
                        tokens -> {
                          if (!stopped) {
                            reconciler.begin(list.entities(), tokens);
                          }
                          return null;
                        }));
  }

  void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    if (changedConsumer != null) {
      changedConsumer.unregister();
    }
    scans.stop();
    streams.stop();
    window.close();
    vertx.executeBlocking(
        () -> {
          source.close();
          return null;
        },
        false);
  }

  boolean stopped() {
    return stopped;
  }

  /** Safety net: reload the entity list and reconcile. */
  Future<Void> refreshEntities() {
    if (stopped) {
      return Future.succeededFuture();
    }
    return entityManager
        .list(false)
        .map(
            reply -> {
              if (stopped) {
                return null;
              }
              reconciler.refreshed(reply.entities());
              return null;
            });
  }

  // ---- what the streams report ----

  private List<OplogEntry> route(ChangeEvent event) {
    ChangeRouter.Routed routed = router.route(event);
    reports.routed(routed);
    ChangeRouter.Rescan rescan = routed.rescan();
    if (rescan != null) {
      LOG.warn("listener: {}; re-scanning {}", rescan.what(), rescan.entities());
      for (String name : rescan.entities()) {
        reports.rescan(
            name,
            new JsonObject()
                .put("reason", rescan.operation())
                .put("collection", rescan.collection())
                .put("to", rescan.to())
                .put(
                    "message",
                    rescan.what()
                        + ": the entity is re-scanned and its cache follows the collection's new contents"));
        scans.request(name, ScanQueue.Mode.FROM_START, rescan.what(), true);
      }
    }
    return routed.entries();
  }

  /**
   * The stream already restarted at "now": re-scan its entities (all of them for the database
   * stream).
   */
  private void positionLost(String stream, String collection, Throwable cause) {
    if (stopped) {
      return;
    }
    List<Entity> affected =
        collection == null ? List.copyOf(entities.all()) : entities.on(collection);
    reports.error("stream " + stream + ": stored position unusable: " + cause.getMessage());
    LOG.warn(
        "listener: stream {} lost its position ({}); re-scanning {}",
        stream,
        cause.getMessage(),
        affected.stream().map(Entity::name).toList());
    for (Entity e : affected) {
      reports.rescan(
          e.name(),
          new JsonObject()
              .put("stream", stream)
              .put("reason", String.valueOf(cause.getMessage()))
              .put(
                  "message",
                  "the stored change-stream position is no longer usable; the entity is re-scanned"));
      scans.request(e.name(), ScanQueue.Mode.FROM_START, "stream position lost", true);
    }
  }

  private void notLeader(Throwable cause) {
    if (!stopped) {
      reports.error("oplog side is not the leader: " + cause.getMessage());
      onNotLeader.run();
    }
  }

  // ---- what the scans report ----

  private void scanEnded(ScanOutcome outcome) {
    if (outcome instanceof ScanOutcome.Live live) {
      metrics.batch("scan_end", 0);
      reconciler.apply(live.result(), EntityChanged.STATUS_CHANGED);
    } else if (outcome instanceof ScanOutcome.NotLeader nl) {
      notLeader(nl.cause());
    } else if (outcome instanceof ScanOutcome.Refused refused) {
      reports.scanFailed(refused.entity(), refused.reason());
    } // Stopped: nothing to do (Superseded never arrives: the queue re-queues it)
  }

  // ---- health ----

  String lastError() {
    return reports.lastError();
  }

  /** The breaker of the source the streams and scans read through. */
  JsonObject circuitHealth() {
    return source.circuitHealth();
  }

  JsonObject toJson() {
    return new JsonObject()
        .put("entities", entities.toJson())
        .put("streams", streams.toJson())
        .put("window", window.toJson())
        .put("scan", scans.runningJson())
        .put("scan_queue", scans.queuedJson())
        .mergeIn(reports.toJson());
  }
}
