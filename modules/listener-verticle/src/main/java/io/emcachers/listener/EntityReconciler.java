package io.emcachers.listener;

import io.emcachers.core.messages.EntityChanged;
import io.emcachers.core.messages.ResumeTokenReply;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.listener.scan.ScanQueue;
import io.emcachers.listener.stream.StreamSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The session's entity-change handling: keeps the {@link EntityTable}, the {@link StreamSet} and
 * the {@link ScanQueue} in step with the entity list — at start, on each {@code
 * emc.entities.changed} event, on the periodic refresh and when a scan makes an entity live. It
 * decides which scan a change calls for (new entity, shape changed, status set to scanning, live
 * entity on a collection without a stored position) and has the streams follow the watched
 * collections. Owned by one {@link ListenerSession}; runs on the verticle's context; leaves the
 * streams alone once the session stopped.
 */
final class EntityReconciler {

  private static final Logger LOG = LoggerFactory.getLogger(EntityReconciler.class);

  private final EntityTable entities;
  private final StreamSet streams;
  private final ScanQueue scans;
  private final ListenerReports reports;
  private final BooleanSupplier stopped;

  EntityReconciler(
      EntityTable entities,
      StreamSet streams,
      ScanQueue scans,
      ListenerReports reports,
      BooleanSupplier stopped) {
    this.entities = entities;
    this.streams = streams;
    this.scans = scans;
    this.reports = reports;
    this.stopped = stopped;
  }

  /**
   * At start: takes the streamed entities of the list, opens their streams (from the stored
   * positions) and queues the scans that are due.
   */
  void begin(List<Entity> list, ResumeTokenReply tokens) {
    list.stream().filter(EntityTable::streamed).forEach(entities::put);
    List<String> collections = entities.watchedCollections();
    LOG.info(
        "listener: starting with {} active entit{} on stream(s) {}; stored positions for {}",
        entities.size(),
        entities.size() == 1 ? "y" : "ies",
        streams.namesFor(collections),
        tokens.tokens().fieldNames());
    streams.open(collections, tokens::tokenFor);
    for (Entity e : entities.all()) {
      switch (e.status()) {
        case pending -> scans.request(e.name(), ScanQueue.Mode.FROM_START, "new entity", false);
        case scanning ->
            scans.request(
                e.name(), ScanQueue.Mode.CONTINUE, "scan interrupted by a restart", false);
        case live -> {
          if (!streams.hasCommittedPosition(e.shape().sourceName())) {
            scans.request(
                e.name(),
                ScanQueue.Mode.FROM_START,
                "initial scan: no stored stream position",
                false);
          }
        }
        default -> {}
      }
    }
  }

  /** An {@code emc.entities.changed} event: a deleted entity is removed, any other applied. */
  void changed(EntityChanged ec) {
    Entity e = ec.entity();
    if (e == null) {
      return;
    }
    if (ec.change() == EntityChanged.DELETED || e.status() == EntityStatus.deleted) {
      remove(e.name(), "deleted");
    } else {
      apply(e, ec.change());
    }
  }

  /**
   * Applies the current state of one entity (ignored when older than the one held): a no longer
   * streamed entity is removed; otherwise it is put in the table, the streams follow the watched
   * collections, and the scan the change calls for is queued.
   */
  void apply(Entity e, EntityChanged.Change change) {
    Entity prev = entities.entity(e.name());
    if (prev != null && e.version() < prev.version()) {
      return; // stale event (e.g. our own status change arriving after the scan ended)
    }
    if (!EntityTable.streamed(e)) {
      if (prev != null) {
        remove(e.name(), "status " + e.status());
      }
      return;
    }
    boolean shapeChanged = prev != null && !prev.shape().equals(e.shape());
    if (prev != null
        && !shapeChanged
        && prev.status() == e.status()
        && e.version() == prev.version()) {
      return;
    }
    entities.put(e);
    boolean newStream = !stopped.getAsBoolean() && streams.reconcile(entities.watchedCollections());
    boolean scanActive = scans.isScanning(e.name());
    String coll = e.shape().sourceName();
    if (shapeChanged || change == EntityChanged.SHAPE_CHANGED && prev != null) {
      LOG.info("listener: entity {} changed shape; re-scanning it", e.name());
      scans.request(e.name(), ScanQueue.Mode.FROM_START, "shape changed", true);
    } else if (e.status() == EntityStatus.pending && !scanActive) {
      LOG.info("listener: new entity {} on collection {}", e.name(), coll);
      scans.request(e.name(), ScanQueue.Mode.FROM_START, "new entity", false);
    } else if (e.status() == EntityStatus.scanning
        && !scanActive
        && (prev == null || prev.status() != EntityStatus.scanning)) {
      scans.request(e.name(), ScanQueue.Mode.FROM_START, "status set to scanning", false);
    } else if (prev == null
        && e.status() == EntityStatus.live
        && newStream
        && streams.streamOf(coll) != null
        && !streams.hasCommittedPosition(coll)) {
      scans.request(
          e.name(),
          ScanQueue.Mode.FROM_START,
          "live entity on a collection without a stored position",
          false);
    }
  }

  /** Drops an entity: its reports, its scan, and its stream when no other entity uses it. */
  void remove(String name, String why) {
    if (!entities.remove(name)) {
      return;
    }
    LOG.info("listener: entity {} removed ({})", name, why);
    reports.forget(name);
    scans.cancel(name);
    if (!stopped.getAsBoolean()) {
      streams.reconcile(entities.watchedCollections());
    }
  }

  /** The safety net's reload: applies every listed entity and removes those no longer listed. */
  void refreshed(List<Entity> list) {
    Set<String> listed = new TreeSet<>();
    for (Entity e : list) {
      listed.add(e.name());
      apply(e, EntityChanged.REFRESHED);
    }
    for (String name : entities.names()) {
      if (!listed.contains(name)) {
        remove(name, "no longer listed");
      }
    }
  }
}
