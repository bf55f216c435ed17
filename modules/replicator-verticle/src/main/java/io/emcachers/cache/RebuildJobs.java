package io.emcachers.cache;

import io.emcachers.core.model.Entity;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The rebuild jobs of the cache-db manager: at most one runs per entity (a job for another identity
 * starts when it ends), the last finished ones are kept for the health reply. An identity rebuild
 * stops the entity's read address while it runs; a swap serves it again at once. Event-loop
 * confined.
 */
final class RebuildJobs {

  private static final int RECENT_JOBS = 20;

  private final BiFunction<Entity, RebuildJob.Mode, RebuildJob> factory;
  private final ReadAddresses readAddresses;
  private final Map<String, RebuildJob> running = new HashMap<>();
  private final Deque<RebuildJob> recent = new ArrayDeque<>();
  private boolean stopping;

  RebuildJobs(
      BiFunction<Entity, RebuildJob.Mode, RebuildJob> factory, ReadAddresses readAddresses) {
    this.factory = factory;
    this.readAddresses = readAddresses;
  }

  /** The running job of {@code name}, or null. */
  RebuildJob running(String name) {
    return running.get(name);
  }

  /**
   * Starts a rebuild of {@code e} in {@code mode}, or returns the running one when it builds the
   * same identity.
   */
  RebuildJob rebuild(Entity e, RebuildJob.Mode mode) {
    RebuildJob current = running.get(e.name());
    if (current != null && CacheIdentity.same(current.entity(), e)) {
      return current; // once it swaps, the file is what the caller needs
    }
    return start(factory.apply(e, mode));
  }

  private RebuildJob start(RebuildJob job) {
    String name = job.entity().name();
    if (stopping) {
      job.cancel();
    }
    RebuildJob previous = running.get(name);
    if (previous != null && !previous.finished()) {
      previous.future().onComplete(x -> start(job)); // another identity: after the running one
      return job;
    }
    running.put(name, job);
    if (job.mode() == RebuildJob.Mode.SHAPE) {
      readAddresses.unserve(name); // the old file is not what the entity defines any more
    }
    job.start()
        .future()
        .onComplete(
            ar -> {
              running.remove(name, job);
              recent.addFirst(job);
              while (recent.size() > RECENT_JOBS) {
                recent.removeLast();
              }
              if (ar.succeeded()) {
                readAddresses.serve(
                    name); // the new file holds every row of the entity up to the head its last
                // read saw
              }
            });
    return job;
  }

  /** Cancels every running job; completes when they have all ended. */
  Future<Void> stop() {
    stopping = true;
    running.values().forEach(RebuildJob::cancel);
    List<Future<Void>> jobs =
        running.values().stream()
            .map(j -> j.future().transform(x -> Future.<Void>succeededFuture()))
            .toList();
    return Future.join(jobs).mapEmpty();
  }

  /** Running jobs, then the recently finished ones, newest first. */
  JsonArray toJson() {
    JsonArray out = new JsonArray();
    running.values().forEach(j -> out.add(j.toJson()));
    recent.forEach(j -> out.add(j.toJson()));
    return out;
  }
}
