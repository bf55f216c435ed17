package io.emcachers.replicator;

import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.client.EntitiesClient;
import io.emcachers.core.messages.EntityChanged;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.EntityStatus;
import io.vertx.core.Future;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The replicator's view of the entities: loaded with {@code emc.entities.list} (deleted included),
 * kept current by {@code emc.entities.changed}, completed on demand with {@code emc.entities.get}
 * for rows of an entity it has not seen yet. Event-loop confined.
 */
final class EntityDirectory {

  private final EntitiesClient client;
  private final Map<String, Entity> known = new HashMap<>();

  /** Names the entity manager does not know (purged): their rows are skipped. */
  private final Set<String> missing = new HashSet<>();

  private boolean loaded;

  /** The entities this node holds (partitioned mode); the others are treated like skipped rows. */
  private Predicate<String> scope = name -> true;

  EntityDirectory(EntitiesClient client) {
    this.client = client;
  }

  void scope(Predicate<String> scope) {
    this.scope = scope;
  }

  boolean loaded() {
    return loaded;
  }

  /** Forgets everything; the next {@link #load()} re-reads the entity store. */
  void invalidate() {
    loaded = false;
  }

  Future<Void> load() {
    return client
        .list(true)
        .map(
            reply -> {
              known.clear();
              missing.clear();
              reply.entities().forEach(e -> known.put(e.name(), e));
              loaded = true;
              return null;
            });
  }

  /**
   * The entity of rows named {@code name}: from the map, else asked for. Completes with null when
   * the rows must be skipped (entity deleted or unknown to the entity store).
   */
  Future<Entity> resolve(String name) {
    if (!scope.test(name)) {
      return Future.succeededFuture(null);
    }
    Entity e = known.get(name);
    if (e != null) {
      return Future.succeededFuture(e.status() == EntityStatus.deleted ? null : e);
    }
    if (missing.contains(name)) {
      return Future.succeededFuture(null);
    }
    return client
        .get(name)
        .map(
            r -> {
              known.put(name, r.entity());
              return r.entity().status() == EntityStatus.deleted ? (Entity) null : r.entity();
            })
        .recover(
            err -> {
              if (Bus.codeOf(err) == ErrorCodes.NOT_FOUND) {
                missing.add(name);
                return Future.succeededFuture(null);
              }
              return Future.failedFuture(err);
            });
  }

  /**
   * Applies an {@code emc.entities.changed} event (created, shape/status change, delete, refresh).
   */
  void onChanged(EntityChanged ev) {
    Entity e = ev.entity();
    if (e == null || e.name() == null) {
      return;
    }
    Entity current = known.get(e.name());
    // a refresh may carry an older snapshot than an event that already arrived: keep the newer one
    if (EntityChanged.REFRESHED.equals(ev.change())
        && current != null
        && current.version() > e.version()) {
      return;
    }
    if (EntityChanged.DELETED.equals(ev.change()) && e.status() != EntityStatus.deleted) {
      e = e.withStatus(EntityStatus.deleted);
    }
    known.put(e.name(), e);
    missing.remove(e.name());
  }

  /** Entities that are not deleted and that this node holds, by name. */
  Map<String, Entity> active() {
    Map<String, Entity> out = all();
    out.keySet().removeIf(scope.negate());
    return out;
  }

  /** Entities that are not deleted, held here or not, by name. */
  Map<String, Entity> all() {
    Map<String, Entity> out = new TreeMap<>();
    known.forEach(
        (k, v) -> {
          if (v.status() != EntityStatus.deleted) {
            out.put(k, v);
          }
        });
    return out;
  }

  boolean isDeleted(String name) {
    Entity e = known.get(name);
    return (e != null && e.status() == EntityStatus.deleted) || missing.contains(name);
  }
}
