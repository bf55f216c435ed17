package io.emcachers.replicator;

import io.emcachers.core.messages.ReplicaReportReply;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.Oplog;
import io.emcachers.core.status.ComponentState;
import io.emcachers.core.status.StatusPublisher;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Progress and lag of this node's replicator, per entity, and its state; publishes them on {@code
 * emc.status} and answers the stats request. Event-loop confined.
 *
 * <p>Per entity, {@code last_applied_id} is the last oplog row of the entity in its cache, and the
 * cache is complete up to {@code covered = max(node offset, last_applied_id)}. {@code lag_rows =
 * head − covered}: oplog rows (of any entity) this cache has not been brought past yet, 0 exactly
 * when it is caught up. {@code lag_seconds} is 0 when caught up, else now − created_at of the
 * oldest unapplied row (known once that row was read; before, the time since the head moved past
 * the offset). {@code rows_applied} counts rows this replicator's batches wrote; {@code
 * rows_skipped} rows the cache already held (a replay, or rows a rebuild of the cache had already
 * read from the oplog).
 *
 * <p>The same figures are Micrometer gauges per entity: {@code emc_replicator_lag_rows}, {@code
 * emc_replicator_lag_seconds}, {@code emc_replicator_last_applied_id} (tag {@code entity}; {@link
 * LagGauges}), read by the metrics scrape from another thread, hence the concurrent map. Progress
 * events are de-duplicated by {@link ProgressEvents}.
 */
final class ProgressTracker {

  static final String COMPONENT = "replicator";

  private static final class EntityProgress {
    long lastApplied;
    long rowsApplied;
    long rowsSkipped;
  }

  /** State of the status event that announces a rebuild after compaction. */
  static final String REBUILDING_AFTER_COMPACTION = "rebuilding_after_compaction";

  /** State of the component event once that rebuild has swapped in every cache. */
  static final String REBUILT_AFTER_COMPACTION = "rebuilt_after_compaction";

  private final StatusPublisher status;
  private final String nodeId;
  private final Map<String, EntityProgress> entities = new ConcurrentHashMap<>();
  private final LagGauges gauges;
  private final ProgressEvents events;
  private long head;
  private long offset = -1;
  private long rowsApplied;
  private Instant oldestUnapplied;
  private Instant aheadSince;
  private ComponentState state = ComponentState.STARTING;
  private int consecutiveErrors;
  private String lastError;
  private Instant lastErrorAt;

  /**
   * @param status publishes as component {@link #COMPONENT}
   */
  ProgressTracker(StatusPublisher status, String nodeId, MeterRegistry meters) {
    this.status = status;
    this.nodeId = nodeId;
    this.gauges = new LagGauges(meters);
    this.events = new ProgressEvents(status);
  }

  long head() {
    return head;
  }

  long offset() {
    return offset;
  }

  ComponentState state() {
    return state;
  }

  void onHead(long h) {
    if (h > head) {
      head = h;
    }
    if (offset >= 0 && head > offset && aheadSince == null) {
      aheadSince = Instant.now();
    }
  }

  /** The position was (re)read: the node offset and, per entity, what its cache holds. */
  void onRecovered(long nodeOffset, JsonObject cacheInfo) {
    offset = nodeOffset;
    entities.clear();
    oldestUnapplied = null;
    aheadSince = null;
    if (cacheInfo != null) {
      for (String name : cacheInfo.fieldNames()) {
        JsonObject i = cacheInfo.getJsonObject(name);
        if (i != null) {
          entity(name).lastApplied = i.getLong("last_oplog_id", 0L);
        }
      }
    }
  }

  void onBatchRead(List<Oplog> rows) {
    if (oldestUnapplied == null && !rows.isEmpty() && rows.get(0).createdAt() != null) {
      oldestUnapplied = rows.get(0).createdAt();
    }
  }

  void onApplied(String name, long lastOplogId, int applied, int skipped) {
    EntityProgress p = entity(name);
    p.lastApplied = Math.max(p.lastApplied, lastOplogId);
    p.rowsApplied += applied;
    p.rowsSkipped += skipped;
    rowsApplied += applied;
  }

  /**
   * The node offset was committed after a batch; {@code lastRow} is the batch's last row (may be
   * null).
   */
  void onCommitted(long newOffset, Oplog lastRow) {
    offset = newOffset;
    if (head > offset) {
      // the next unapplied row was created at or after the last applied one
      oldestUnapplied = lastRow == null ? oldestUnapplied : lastRow.createdAt();
      if (aheadSince == null) {
        aheadSince = Instant.now();
      }
    } else {
      oldestUnapplied = null;
      aheadSince = null;
    }
  }

  void onEntityDeleted(String name) {
    entities.remove(name);
    events.forget(name);
    gauges.remove(name);
  }

  /** Records an error; returns true when the state changed. */
  boolean onError(Throwable err, int errors) {
    consecutiveErrors = errors;
    lastError = String.valueOf(err.getMessage() == null ? err.toString() : err.getMessage());
    lastErrorAt = Instant.now();
    status.error(
        null,
        "error",
        new JsonObject()
            .put("node", nodeId)
            .put("error", lastError)
            .put("consecutive_errors", errors)
            .put("offset", offset));
    return setState(ComponentState.ERROR);
  }

  /**
   * The node missed deletes that compaction removed and rebuilds its caches: an {@code error}
   * event, state {@code rebuilding_after_compaction}.
   */
  void onRebuildAfterCompaction(long nodeOffset, ReplicaReportReply why, String reason) {
    status.error(
        null,
        REBUILDING_AFTER_COMPACTION,
        CompactionRebuild.eventData(nodeId, nodeOffset, why, reason));
  }

  /** The rebuild after compaction swapped in every cache: a {@code component} event. */
  void onRebuiltAfterCompaction(int caches) {
    offset = 0;
    status.component(
        REBUILT_AFTER_COMPACTION,
        new JsonObject().put("node", nodeId).put("caches", caches).put("head_id", head));
  }

  void onSuccess() {
    consecutiveErrors = 0;
    setState(head > offset ? ComponentState.CATCHING_UP : ComponentState.CAUGHT_UP);
  }

  boolean setState(ComponentState newState) {
    if (newState == state) {
      return false;
    }
    ComponentState old = state;
    state = newState;
    status.component(
        newState,
        new JsonObject()
            .put("node", nodeId)
            .put("previous", old.wire())
            .put("offset", offset)
            .put("head_id", head));
    return true;
  }

  private EntityProgress entity(String name) {
    gauges.register(name, this);
    return entities.computeIfAbsent(name, n -> new EntityProgress());
  }

  /** The last oplog id in the entity's cache, 0 when unknown (gauge {@code last_applied_id}). */
  long lastApplied(String name) {
    EntityProgress p = entities.get(name);
    return p == null ? 0 : p.lastApplied;
  }

  long lagRows(String name) {
    EntityProgress p = entities.get(name);
    long covered = Math.max(Math.max(offset, 0), p == null ? 0 : p.lastApplied);
    return Math.max(0, head - covered);
  }

  double lagSeconds(long lagRows) {
    if (lagRows == 0) {
      return 0;
    }
    Instant since = oldestUnapplied != null ? oldestUnapplied : aheadSince;
    if (since == null) {
      return 0;
    }
    return Math.max(0, Duration.between(since, Instant.now()).toMillis() / 1000.0);
  }

  JsonObject entityJson(String name, Entity e) {
    EntityProgress p = entities.get(name);
    long lag = lagRows(name);
    return new JsonObject()
        .put("last_applied_id", p == null ? 0 : p.lastApplied)
        .put("head_id", head)
        .put("lag_rows", lag)
        .put("lag_seconds", lagSeconds(lag))
        .put("rows_applied", p == null ? 0 : p.rowsApplied)
        .put("rows_skipped", p == null ? 0 : p.rowsSkipped)
        .put("status", (lag == 0 ? ComponentState.CAUGHT_UP : ComponentState.CATCHING_UP).wire())
        .put("entity_status", e == null ? null : e.status().name());
  }

  /** {@code details} of the stats reply. */
  JsonObject details(Map<String, Entity> active) {
    JsonObject per = new JsonObject();
    active.forEach((name, e) -> per.put(name, entityJson(name, e)));
    long lag = Math.max(0, head - Math.max(offset, 0));
    return new JsonObject()
        .put("node", nodeId)
        .put("state", state.wire())
        .put("head_id", head)
        .put("offset", offset)
        .put("lag_rows", lag)
        .put("lag_seconds", lagSeconds(lag))
        .put("rows_applied", rowsApplied)
        .put("consecutive_errors", consecutiveErrors)
        .put("last_error", lastError)
        .put("last_error_at", lastErrorAt == null ? null : lastErrorAt.toString())
        .put("entities", per);
  }

  /**
   * Publishes progress events (type progress, component replicator, {@code data.node}) for the node
   * (entity null) and for each entity whose numbers changed since its last event or that lags.
   */
  void publish(Map<String, Entity> active) {
    active.forEach(
        (name, e) -> {
          JsonObject data = entityJson(name, e).put("node", nodeId);
          events.publishIfChanged(name, data);
        });
    long lag = Math.max(0, head - Math.max(offset, 0));
    JsonObject node =
        new JsonObject()
            .put("node", nodeId)
            .put("head_id", head)
            .put("offset", offset)
            .put("lag_rows", lag)
            .put("lag_seconds", lagSeconds(lag))
            .put("rows_applied", rowsApplied);
    events.publishIfChanged(null, node);
  }

  /**
   * Publishes at once the progress of each entity that is caught up (lag 0) but was last announced
   * lagging, or never: a node serves a cache's read address as soon as it is caught up, not on the
   * next status tick. Called after every successful pass.
   */
  void publishCaughtUp(Map<String, Entity> active) {
    active.forEach(
        (name, e) -> {
          if (lagRows(name) == 0 && events.announcedLagging(name)) {
            events.publishIfChanged(name, entityJson(name, e).put("node", nodeId));
          }
        });
  }
}
