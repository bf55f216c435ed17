package io.emcachers.replicator;

import io.emcachers.core.status.ComponentState;
import io.emcachers.core.status.StatusPublisher;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;

/**
 * The progress events of {@link ProgressTracker} on {@code emc.status} (type progress, component
 * replicator), de-duplicated per entity (null: the node): an event goes out when its figures
 * (without {@code lag_seconds}) changed since the last one, and always while it lags. Event-loop
 * confined.
 */
final class ProgressEvents {

  private final StatusPublisher status;
  private final Map<String, JsonObject> lastPublished = new HashMap<>();

  ProgressEvents(StatusPublisher status) {
    this.status = status;
  }

  /** Whether the entity was last announced lagging, or never announced. */
  boolean announcedLagging(String name) {
    JsonObject last = lastPublished.get(name);
    return last == null || last.getLong("lag_rows", 0L) > 0;
  }

  /** Forgets the entity's last event (it was deleted). */
  void forget(String name) {
    lastPublished.remove(name);
  }

  void publishIfChanged(String name, JsonObject data) {
    JsonObject key = data.copy();
    key.remove("lag_seconds");
    boolean lagging = data.getLong("lag_rows", 0L) > 0;
    if (!lagging && key.equals(lastPublished.get(name))) {
      return;
    }
    lastPublished.put(name, key);
    status.progress(
        name, (lagging ? ComponentState.CATCHING_UP : ComponentState.CAUGHT_UP).wire(), data);
  }
}
