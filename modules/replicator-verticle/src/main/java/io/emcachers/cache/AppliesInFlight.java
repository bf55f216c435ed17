package io.emcachers.cache;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The applies of each entity that are writing to its live file right now, so a rebuild can hold new
 * applies back and wait for these before its final catch-up and swap. Event-loop confined (the
 * cache-db verticle's context).
 */
final class AppliesInFlight {

  private final Map<String, Integer> counts = new HashMap<>();
  private final Map<String, List<Promise<Void>>> waiters = new HashMap<>();

  void begin(String entity) {
    counts.merge(entity, 1, Integer::sum);
  }

  void end(String entity) {
    Integer left = counts.computeIfPresent(entity, (k, n) -> n > 1 ? n - 1 : null);
    if (left == null) {
      List<Promise<Void>> w = waiters.remove(entity);
      if (w != null) {
        w.forEach(Promise::tryComplete);
      }
    }
  }

  /** Completes once no apply of {@code entity} is in flight (at once when none is). */
  Future<Void> idle(String entity) {
    if (!counts.containsKey(entity)) {
      return Future.succeededFuture();
    }
    Promise<Void> p = Promise.promise();
    waiters.computeIfAbsent(entity, k -> new ArrayList<>()).add(p);
    return p.future();
  }
}
