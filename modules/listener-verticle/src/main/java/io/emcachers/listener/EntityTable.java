package io.emcachers.listener;

import io.emcachers.core.model.Entity;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.projection.Projection;
import io.emcachers.listener.scan.ScanCollaborators;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The streamed entities of one session and their projections (rebuilt only when a shape changes).
 * Pure data: no bus, no Vert.x, so the router and its tests use it as is.
 */
final class EntityTable implements ScanCollaborators.Entities {

  /**
   * Statuses whose entities are streamed (the oplog side stages pending/scanning and writes
   * live/failed).
   */
  static final Set<EntityStatus> ACTIVE =
      Set.of(EntityStatus.pending, EntityStatus.scanning, EntityStatus.live, EntityStatus.failed);

  private final Map<String, Entity> entities = new LinkedHashMap<>();
  private final Map<String, Projection> projections = new HashMap<>();

  static boolean streamed(Entity e) {
    return ACTIVE.contains(e.status());
  }

  /** Adds or replaces {@code e}; returns the entity it replaced (null: new). */
  Entity put(Entity e) {
    Entity prev = entities.put(e.name(), e);
    if (prev == null || !prev.shape().equals(e.shape())) {
      projections.put(e.name(), new Projection(e.shape()));
    }
    return prev;
  }

  /** Removes the entity; false when it was not there. */
  boolean remove(String name) {
    projections.remove(name);
    return entities.remove(name) != null;
  }

  @Override
  public Entity entity(String name) {
    return entities.get(name);
  }

  @Override
  public Projection projection(String name) {
    return projections.get(name);
  }

  /**
   * A scan attempt began: the entity with its new epoch replaces the known one unless that one is
   * newer.
   */
  @Override
  public void adopt(Entity begun) {
    Entity prev = entities.get(begun.name());
    if (prev != null && begun.version() >= prev.version()) {
      put(begun);
    }
  }

  boolean isEmpty() {
    return entities.isEmpty();
  }

  int size() {
    return entities.size();
  }

  Collection<Entity> all() {
    return List.copyOf(entities.values());
  }

  List<String> names() {
    return List.copyOf(entities.keySet());
  }

  /** The entities whose source is {@code collection}, in table order (none for null). */
  List<Entity> on(String collection) {
    return entities.values().stream()
        .filter(e -> e.shape().sourceName().equals(collection))
        .toList();
  }

  /** The source collections of all entities, sorted, each once. */
  List<String> watchedCollections() {
    return entities.values().stream().map(e -> e.shape().sourceName()).distinct().sorted().toList();
  }

  JsonArray toJson() {
    return new JsonArray(
        entities.values().stream()
            .map(
                e ->
                    new JsonObject()
                        .put("name", e.name())
                        .put("source", e.shape().sourceName())
                        .put("status", e.status().name()))
            .toList());
  }
}
