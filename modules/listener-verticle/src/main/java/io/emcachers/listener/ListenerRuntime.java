package io.emcachers.listener;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.EntityChanged;
import io.emcachers.core.messages.EntityListReply;
import io.emcachers.core.messages.EntityListRequest;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.EntityStatusRequest;
import io.emcachers.core.messages.ScanBeginRequest;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.messages.ResumeTokenReply;
import io.emcachers.core.messages.ResumeTokenRequest;
import io.emcachers.core.messages.StatusEvent;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.model.Operation;
import io.emcachers.core.projection.DocIds;
import io.emcachers.core.projection.Projection;
import io.emcachers.listener.flow.BatchWindow;
import io.emcachers.listener.mongo.MongoSource;
import io.emcachers.listener.scan.EntityScanner;
import io.emcachers.listener.stream.ChangeEvent;
import io.emcachers.listener.stream.CollectionStream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One streaming session of the listener (while this node leads): the entity map, the change streams,
 * the backpressure window and the scan queue. Everything runs on the verticle's context. A session
 * that loses leadership or fails to start is stopped and replaced by a fresh one.
 */
final class ListenerRuntime implements CollectionStream.Callbacks, EntityScanner.Host {

  private static final Logger LOG = LoggerFactory.getLogger(ListenerRuntime.class);
  /** Statuses whose entities are streamed (the oplog side stages pending/scanning and writes live/failed). */
  private static final Set<EntityStatus> ACTIVE = Set.of(EntityStatus.pending, EntityStatus.scanning, EntityStatus.live, EntityStatus.failed);

  private final Vertx vertx;
  private final ListenerConfig config;
  private final ListenerMetrics metrics;
  private final CoercionReporter coercion;
  private final SkipReporter skips;
  private final Runnable onNotLeader;
  private final MongoSource source;
  private final BatchWindow window;
  private final Map<String, Entity> entities = new LinkedHashMap<>();
  private final Map<String, Projection> projections = new HashMap<>();
  private final Map<String, CollectionStream> streams = new LinkedHashMap<>();
  private final Deque<ScanRequest> scanQueue = new ArrayDeque<>();
  private EntityScanner running;
  private MessageConsumer<Object> changedConsumer;
  private boolean stopped;
  private String lastError;
  private long lastErrorAt;

  private record ScanRequest(String entity, EntityScanner.Mode mode, String reason) {}

  ListenerRuntime(Vertx vertx, ListenerConfig config, ListenerMetrics metrics, CoercionReporter coercion, Runnable onNotLeader) {
    this.vertx = vertx;
    this.config = config;
    this.metrics = metrics;
    this.coercion = coercion;
    this.skips = new SkipReporter(vertx.eventBus(), metrics);
    this.onNotLeader = onNotLeader;
    this.source = new MongoSource(vertx.getOrCreateContext(), config.mongoUrl(), config.database());
    DeliveryOptions appendOptions = new DeliveryOptions().setSendTimeout(config.appendTimeoutMs());
    this.window = new BatchWindow(config.maxUnackedBatches(),
        batch -> Bus.request(vertx.eventBus(), Addresses.OPLOG_APPEND, batch, AppendResult.class, appendOptions));
  }

  BatchWindow window() {
    return window;
  }

  // ---- lifecycle ----

  /** Loads entities and stored positions, opens the streams, queues the scans that are due. */
  Future<Void> start() {
    changedConsumer = vertx.eventBus().consumer(Addresses.ENTITIES_CHANGED, msg -> {
      if (!stopped && msg.body() instanceof EntityChanged ec) {
        onEntityChanged(ec);
      }
    });
    return changedConsumer.completion()
        .compose(v -> Bus.request(vertx.eventBus(), Addresses.ENTITIES_LIST, new EntityListRequest(false), EntityListReply.class))
        .compose(list -> Bus.request(vertx.eventBus(), Addresses.OPLOG_RESUME_TOKEN, new ResumeTokenRequest(), ResumeTokenReply.class)
            .map(tokens -> {
              begin(list.entities(), tokens);
              return null;
            }));
  }

  private void begin(List<Entity> list, ResumeTokenReply tokens) {
    if (stopped) {
      return;
    }
    for (Entity e : list) {
      if (ACTIVE.contains(e.status())) {
        putEntity(e);
      }
    }
    Set<String> needed = neededStreams();
    LOG.info("listener: starting with {} active entit{} on stream(s) {}; stored positions for {}",
        entities.size(), entities.size() == 1 ? "y" : "ies", needed, tokens.tokens().fieldNames());
    for (String name : needed) {
      createStream(name, tokens.tokenFor(name), false);
    }
    for (Entity e : List.copyOf(entities.values())) {
      CollectionStream stream = streamFor(e);
      boolean hasToken = stream != null && stream.position().ackedToken() != null;
      switch (e.status()) {
        case pending -> requestScan(e.name(), EntityScanner.Mode.FROM_START, "new entity", false);
        case scanning -> requestScan(e.name(), EntityScanner.Mode.CONTINUE, "scan interrupted by a restart", false);
        case live -> {
          if (!hasToken) {
            requestScan(e.name(), EntityScanner.Mode.FROM_START, "initial scan: no stored stream position", false);
          }
        }
        default -> { }
      }
    }
  }

  void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    if (changedConsumer != null) {
      changedConsumer.unregister();
    }
    if (running != null) {
      running.cancel();
      running = null;
    }
    scanQueue.clear();
    streams.values().forEach(CollectionStream::stop);
    streams.clear();
    window.close();
    vertx.executeBlocking(() -> {
      source.close();
      return null;
    }, false);
  }

  boolean stopped() {
    return stopped;
  }

  /** Safety net: reload the entity list and reconcile. */
  Future<Void> refreshEntities() {
    if (stopped) {
      return Future.succeededFuture();
    }
    return Bus.request(vertx.eventBus(), Addresses.ENTITIES_LIST, new EntityListRequest(false), EntityListReply.class).map(reply -> {
      if (stopped) {
        return null;
      }
      Set<String> listed = new TreeSet<>();
      for (Entity e : reply.entities()) {
        listed.add(e.name());
        applyEntity(e, EntityChanged.REFRESHED);
      }
      for (String name : List.copyOf(entities.keySet())) {
        if (!listed.contains(name)) {
          removeEntity(name, "no longer listed");
        }
      }
      return null;
    });
  }

  // ---- entities ----

  private void onEntityChanged(EntityChanged ec) {
    Entity e = ec.entity();
    if (e == null) {
      return;
    }
    if (EntityChanged.DELETED.equals(ec.change()) || e.status() == EntityStatus.deleted) {
      removeEntity(e.name(), "deleted");
    } else {
      applyEntity(e, ec.change());
    }
  }

  private void applyEntity(Entity e, EntityChanged.Change change) {
    Entity prev = entities.get(e.name());
    if (prev != null && e.version() < prev.version()) {
      return; // stale event (e.g. our own status change arriving after the scan ended)
    }
    if (!ACTIVE.contains(e.status())) {
      if (prev != null) {
        removeEntity(e.name(), "status " + e.status());
      }
      return;
    }
    boolean shapeChanged = prev != null && !prev.shape().equals(e.shape());
    if (prev != null && !shapeChanged && prev.status() == e.status() && e.version() == prev.version()) {
      return;
    }
    putEntity(e);
    boolean newStream = ensureStreams();
    boolean scanActive = isScanning(e.name());
    if (shapeChanged || EntityChanged.SHAPE_CHANGED.equals(change) && prev != null) {
      LOG.info("listener: entity {} changed shape; re-scanning it", e.name());
      requestScan(e.name(), EntityScanner.Mode.FROM_START, "shape changed", true);
    } else if (e.status() == EntityStatus.pending && !scanActive) {
      LOG.info("listener: new entity {} on collection {}", e.name(), e.shape().sourceName());
      requestScan(e.name(), EntityScanner.Mode.FROM_START, "new entity", false);
    } else if (e.status() == EntityStatus.scanning && !scanActive && (prev == null || prev.status() != EntityStatus.scanning)) {
      requestScan(e.name(), EntityScanner.Mode.FROM_START, "status set to scanning", false);
    } else if (prev == null && e.status() == EntityStatus.live && newStream) {
      CollectionStream s = streamFor(e);
      if (s != null && s.position().ackedToken() == null) {
        requestScan(e.name(), EntityScanner.Mode.FROM_START, "live entity on a collection without a stored position", false);
      }
    }
  }

  private void putEntity(Entity e) {
    Entity prev = entities.put(e.name(), e);
    if (prev == null || !prev.shape().equals(e.shape())) {
      projections.put(e.name(), new Projection(e.shape()));
    }
  }

  private void removeEntity(String name, String why) {
    if (entities.remove(name) == null) {
      return;
    }
    LOG.info("listener: entity {} removed ({})", name, why);
    projections.remove(name);
    coercion.forget(name);
    scanQueue.removeIf(r -> r.entity.equals(name));
    if (running != null && running.entityName().equals(name)) {
      running.cancel();
    }
    ensureStreams();
  }

  private boolean isScanning(String name) {
    return running != null && running.entityName().equals(name) && !running.cancelled() || scanQueue.stream().anyMatch(r -> r.entity.equals(name));
  }

  // ---- streams ----

  private Set<String> neededStreams() {
    Set<String> names = new TreeSet<>();
    if (config.watchScope() == ListenerConfig.WatchScope.database) {
      if (!entities.isEmpty()) {
        names.add(ListenerConfig.DB_STREAM);
      }
    } else {
      entities.values().forEach(e -> names.add(e.shape().sourceName()));
    }
    return names;
  }

  private List<String> watchedCollections() {
    return entities.values().stream().map(e -> e.shape().sourceName()).distinct().sorted().toList();
  }

  /** Opens streams that are now needed and stops unused ones; true when a stream was created. */
  private boolean ensureStreams() {
    if (stopped) {
      return false;
    }
    Set<String> needed = neededStreams();
    boolean created = false;
    for (String name : List.copyOf(streams.keySet())) {
      if (!needed.contains(name)) {
        LOG.info("listener: no entity uses stream {} any more; stopping it", name);
        streams.remove(name).stop();
      }
    }
    for (String name : needed) {
      CollectionStream s = streams.get(name);
      if (s == null) {
        // a collection watched before has a stored position: the stream reads it before opening
        createStream(name, null, true);
        created = true;
      } else if (name.equals(ListenerConfig.DB_STREAM)) {
        s.watchCollections(watchedCollections());
      }
    }
    return created;
  }

  private void createStream(String name, JsonObject storedToken, boolean readCommittedFirst) {
    boolean db = name.equals(ListenerConfig.DB_STREAM);
    CollectionStream s = new CollectionStream(vertx, config, source, window, this, name, db ? null : name,
        db ? watchedCollections() : null, storedToken, readCommittedFirst);
    streams.put(name, s);
    s.start();
  }

  @Override
  public CollectionStream streamFor(Entity entity) {
    return config.watchScope() == ListenerConfig.WatchScope.database
        ? streams.get(ListenerConfig.DB_STREAM)
        : streams.get(entity.shape().sourceName());
  }

  private List<Entity> entitiesOf(CollectionStream stream) {
    if (stream.collection() == null) {
      return List.copyOf(entities.values());
    }
    return entities.values().stream().filter(e -> e.shape().sourceName().equals(stream.collection())).toList();
  }

  @Override
  public List<OplogEntry> route(CollectionStream stream, ChangeEvent event) {
    String coll = event.collection();
    if (event.isCollectionLevel()) {
      collectionChanged(event);
      return List.of();
    }
    List<Entity> targets = new ArrayList<>(2);
    for (Entity e : entities.values()) {
      if (e.shape().sourceName().equals(coll)) {
        targets.add(e);
      }
    }
    if (targets.isEmpty()) {
      metrics.ignored(coll == null ? "unknown" : coll);
      return List.of();
    }
    try {
      return entries(coll, targets, event);
    } catch (RuntimeException e) {
      // a document no retry could turn into entries: skip it visibly, never block the stream
      BsonValue id = event.fullDocument() != null ? event.fullDocument().get("_id") : event.documentKey() == null ? null : event.documentKey().get("_id");
      String shown = id == null ? "?" : String.valueOf(io.emcachers.core.projection.BsonJson.toJsonValue(id));
      for (Entity t : targets) {
        skips.skipped(coll, t.name(), shown, "unprojectable", e.toString());
      }
      return List.of();
    }
  }

  private List<OplogEntry> entries(String coll, List<Entity> targets, ChangeEvent event) {
    if (event.isUpsert()) {
      BsonDocument doc = event.fullDocument();
      BsonValue id = doc == null ? null : doc.get("_id");
      if (id == null) {
        metrics.skipped(coll, doc == null ? "no_full_document" : "no_id");
        return List.of();
      }
      String docId = DocIds.docId(id);
      List<OplogEntry> out = new ArrayList<>(targets.size());
      for (Entity e : targets) {
        Projection.Projected p = projections.get(e.name()).project(doc);
        if (!p.clean()) {
          mismatches(e.name(), docId, p.mismatches());
        }
        metrics.event(e.name(), Operation.Upsert.name());
        out.add(new OplogEntry(Operation.Upsert, e.name(), docId, p.data(), e.epoch()));
      }
      return out;
    }
    if (event.isDelete()) {
      BsonValue id = event.documentKey() == null ? null : event.documentKey().get("_id");
      if (id == null) {
        metrics.skipped(coll, "no_document_key");
        return List.of();
      }
      String docId = DocIds.docId(id);
      List<OplogEntry> out = new ArrayList<>(targets.size());
      for (Entity e : targets) {
        metrics.event(e.name(), Operation.Delete.name());
        out.add(new OplogEntry(Operation.Delete, e.name(), docId, null, e.epoch()));
      }
      return out;
    }
    metrics.skipped(coll, event.operationType());
    LOG.info("listener: {} event on {} skipped", event.operationType(), coll);
    return List.of();
  }

  /**
   * drop, rename, dropDatabase: the collection's documents went away (or moved) without per-document
   * events, whatever the watch scope and whether an invalidate follows. Every entity on an affected
   * collection is re-scanned; the scan's proven deletes empty its cache of what is gone.
   */
  private void collectionChanged(ChangeEvent event) {
    String op = event.operationType();
    List<Entity> affected = entities.values().stream().filter(e -> ChangeEvent.DROP_DATABASE.equals(op)
        || e.shape().sourceName().equals(event.collection()) || e.shape().sourceName().equals(event.toCollection())).toList();
    metrics.skipped(event.collection() == null ? "unknown" : event.collection(), op);
    if (affected.isEmpty()) {
      return;
    }
    String what = op + " of " + (ChangeEvent.DROP_DATABASE.equals(op) ? "the database" : "collection " + event.collection())
        + (event.toCollection() == null ? "" : " to " + event.toCollection());
    LOG.warn("listener: {}; re-scanning {}", what, affected.stream().map(Entity::name).toList());
    for (Entity e : affected) {
      metrics.rescan(e.name());
      vertx.eventBus().publish(Addresses.STATUS, StatusEvent.of(StatusEvent.TYPE_ERROR, "listener", e.name(), "rescan",
          new JsonObject().put("reason", op).put("collection", event.collection()).put("to", event.toCollection())
              .put("message", what + ": the entity is re-scanned and its cache follows the collection's new contents")));
      requestScan(e.name(), EntityScanner.Mode.FROM_START, what, true);
    }
  }

  @Override
  public void positionLost(CollectionStream stream, Throwable cause) {
    if (stopped) {
      return;
    }
    List<Entity> affected = entitiesOf(stream);
    recordError("stream " + stream.name() + ": stored position unusable: " + cause.getMessage());
    LOG.warn("listener: stream {} lost its position ({}); re-scanning {}", stream.name(), cause.getMessage(),
        affected.stream().map(Entity::name).toList());
    stream.resetPosition();
    for (Entity e : affected) {
      metrics.rescan(e.name());
      vertx.eventBus().publish(Addresses.STATUS, StatusEvent.of(StatusEvent.TYPE_ERROR, "listener", e.name(), "rescan",
          new JsonObject().put("stream", stream.name()).put("reason", String.valueOf(cause.getMessage()))
              .put("message", "the stored change-stream position is no longer usable; the entity is re-scanned")));
      requestScan(e.name(), EntityScanner.Mode.FROM_START, "stream position lost", true);
    }
  }

  @Override
  public void notLeader(Throwable cause) {
    if (!stopped) {
      recordError("oplog side is not the leader: " + cause.getMessage());
      onNotLeader.run();
    }
  }

  @Override
  public void streamError(CollectionStream stream, Throwable cause) {
    metrics.streamRestart(stream.name());
    recordError("stream " + stream.name() + ": " + cause);
  }

  @Override
  public void acked(CollectionStream stream, AppendBatch batch, AppendResult result) {
    metrics.batch(AppendBatch.KIND_STREAM, batch.entries().size());
    rejected(stream.collection(), result.rejected());
    if (LOG.isDebugEnabled()) {
      LOG.debug("stream {}: batch of {} acked: appended {}, staged {}, last id {}, entities {}", stream.name(), batch.entries().size(),
          result.appended(), result.staged(), result.lastId(), batch.entries().stream().map(e -> e.entity() + ":" + e.docId()).toList());
    }
  }

  // ---- scans ----

  private void requestScan(String name, EntityScanner.Mode mode, String reason, boolean restartIfRunning) {
    if (stopped || !entities.containsKey(name)) {
      return;
    }
    if (running != null && running.entityName().equals(name) && !running.cancelled()) {
      if (!restartIfRunning) {
        return;
      }
      running.cancel();
    }
    for (ScanRequest r : scanQueue) {
      if (r.entity.equals(name)) {
        if (mode == EntityScanner.Mode.FROM_START && r.mode != mode) {
          scanQueue.remove(r);
          scanQueue.addLast(new ScanRequest(name, mode, reason));
        }
        pumpScans();
        return;
      }
    }
    scanQueue.addLast(new ScanRequest(name, mode, reason));
    pumpScans();
  }

  private void pumpScans() {
    if (stopped || running != null && !running.cancelled() || scanQueue.isEmpty()) {
      return;
    }
    ScanRequest req = scanQueue.pollFirst();
    EntityScanner scanner = new EntityScanner(vertx, config, source, window, this, req.entity, req.mode, req.reason);
    running = scanner;
    scanner.run().onComplete(ar -> {
      if (running == scanner) {
        running = null;
      }
      if (ar.succeeded() && !stopped) {
        metrics.batch("scan_end", 0);
        applyEntity(ar.result(), EntityChanged.STATUS_CHANGED);
      }
      pumpScans();
    });
  }

  @Override
  public Entity entity(String name) {
    return entities.get(name);
  }

  @Override
  public Projection projection(String name) {
    return projections.get(name);
  }

  @Override
  public void rejected(String source, JsonArray rejected) {
    for (int i = 0; i < rejected.size(); i++) {
      JsonObject r = rejected.getJsonObject(i);
      skips.skipped(source, r.getString("entity"), r.getString("doc_id"), "rejected", r.getString("reason"));
    }
  }

  @Override
  public void superseded(String name) {
    requestScan(name, EntityScanner.Mode.FROM_START, "scan attempt superseded", false);
  }

  @Override
  public void scanFailed(String name, String reason) {
    recordError("scan of " + name + " failed: " + reason);
    vertx.eventBus().publish(Addresses.STATUS, StatusEvent.of(StatusEvent.TYPE_ERROR, "listener", name, "scan_failed",
        new JsonObject().put("message", reason).put("note", "the entity is marked failed; fix the cause, then recreate it or set its status")));
    Bus.request(vertx.eventBus(), Addresses.ENTITIES_SET_STATUS, new EntityStatusRequest(name, EntityStatus.failed, reason), EntityReply.class)
        .onFailure(e -> LOG.warn("listener: could not mark entity {} failed: {}", name, e.toString()));
  }

  @Override
  public Future<Entity> beginScan(String name, String reason) {
    return Bus.request(vertx.eventBus(), Addresses.OPLOG_SCAN_BEGIN, new ScanBeginRequest(name, reason), EntityReply.class)
        .map(reply -> {
          Entity e = reply.entity();
          Entity prev = entities.get(name);
          if (prev != null && e.version() >= prev.version()) {
            putEntity(e);
          }
          return e;
        });
  }

  @Override
  public void mismatches(String entity, String docId, List<Projection.Mismatch> mismatches) {
    for (Projection.Mismatch m : mismatches) {
      coercion.record(entity, docId, m);
    }
  }

  @Override
  public void progress(String entity, long scanned, long estimatedTotal, boolean done) {
    metrics.scanProgress(entity, scanned, estimatedTotal);
    vertx.eventBus().publish(Addresses.STATUS, StatusEvent.of(StatusEvent.TYPE_PROGRESS, "listener", entity, done ? "scanned" : "scanning",
        new JsonObject().put("scanned", scanned).put("estimated_total", estimatedTotal)));
  }

  // ---- health ----

  private void recordError(String error) {
    lastError = error;
    lastErrorAt = System.currentTimeMillis();
  }

  String lastError() {
    return lastError;
  }

  JsonObject toJson() {
    JsonArray s = new JsonArray();
    streams.values().forEach(st -> s.add(st.toJson()));
    JsonArray queued = new JsonArray();
    scanQueue.forEach(r -> queued.add(new JsonObject().put("entity", r.entity).put("mode", r.mode.name().toLowerCase()).put("reason", r.reason)));
    return new JsonObject()
        .put("entities", new JsonArray(entities.values().stream().map(e -> new JsonObject().put("name", e.name())
            .put("source", e.shape().sourceName()).put("status", e.status().name())).toList()))
        .put("streams", s)
        .put("window", new JsonObject()
            .put("max_batches", window.maxBatches())
            .put("unacked_batches", window.unackedBatches())
            .put("queued_batches", window.queuedBatches())
            .put("entries_in_flight", window.entriesInFlight())
            .put("max_entries_in_flight", window.maxEntriesInFlight())
            .put("acked_batches", window.ackedBatches())
            .put("failed_batches", window.failedBatches()))
        .put("scan", running == null ? null : running.toJson())
        .put("scan_queue", queued)
        .put("coercion_errors", coercion.toJson())
        .put("skipped_documents", skips.total())
        .put("last_error", lastError)
        .put("last_error_at", lastErrorAt == 0 ? null : java.time.Instant.ofEpochMilli(lastErrorAt).toString());
  }
}
