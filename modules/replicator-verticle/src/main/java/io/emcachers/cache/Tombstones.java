package io.emcachers.cache;

import io.emcachers.core.model.Entity;
import java.util.HashMap;
import java.util.Map;

/**
 * Deleted entities this node has heard of: their rows are not applied and no cache is created for
 * them, until an entity of the same name is created again. Event-loop confined.
 */
final class Tombstones {

  private final Map<String, Entity> deleted = new HashMap<>();

  void add(Entity e) {
    deleted.put(e.name(), e);
  }

  void remove(String name) {
    deleted.remove(name);
  }

  /**
   * Whether {@code e} is a deleted entity; a re-created one (created after the delete seen) clears
   * the tombstone.
   */
  boolean covers(Entity e) {
    Entity t = deleted.get(e.name());
    if (t == null) {
      return false;
    }
    // a re-created entity of the same name is a new entity
    if (e.createdAt() != null && t.createdAt() != null && e.createdAt().isAfter(t.createdAt())) {
      deleted.remove(e.name());
      return false;
    }
    return true;
  }
}
