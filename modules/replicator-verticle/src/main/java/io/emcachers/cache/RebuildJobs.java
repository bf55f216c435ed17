package io.emcachers.cache;

import io.emcachers.core.model.Entity;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;

/**
 * The rebuild jobs of the cache-db manager: at most one runs per entity (a job for another identity
 * starts when it ends), the last finished ones are kept for the health reply. An identity rebuild
 * stops the entity's read address while it runs; a swap serves it again at once. Event-loop
 * confined.
 *
 * <p>A cache whose data violates a unique index of its shape ({@link UniqueViolationException}, in
 * a rebuild or a live apply) is remembered as {@link Failure failed} for that identity: no rebuild
 * of the same identity starts by itself again (callers ask {@link #failedFor}), the last good file
 * keeps serving reads, and {@code onFailed} reports it. A new identity (shape change) or an
 * explicit {@link #retry} clears it.
 */
final class RebuildJobs {

  private static final int RECENT_JOBS = 20;

  private final BiFunction<Entity, RebuildJob.Mode, RebuildJob> factory;
  private final ReadAddresses readAddresses;
  private final Map<String, RebuildJob> running = new HashMap<>();
  private final Deque<RebuildJob> recent = new ArrayDeque<>();
  private final Map<String, Failure> failed = new HashMap<>();
  private final BiConsumer<Entity, String> onFailed;
  private boolean stopping;

  /** A cache of {@code entity}'s identity that cannot be built or kept: why, and since when. */
  record Failure(Entity entity, String error, Instant at) {
    JsonObject toJson() {
      return new JsonObject().put("error", error).put("at", at.toString());
    }
  }

  RebuildJobs(
      BiFunction<Entity, RebuildJob.Mode, RebuildJob> factory,
      ReadAddresses readAddresses,
      BiConsumer<Entity, String> onFailed) {
    this.factory = factory;
    this.readAddresses = readAddresses;
    this.onFailed = onFailed;
  }

  /** The failure recorded for {@code e}'s identity, or null. */
  Failure failedFor(Entity e) {
    Failure f = failed.get(e.name());
    return f != null && CacheIdentity.same(f.entity(), e) ? f : null;
  }

  /** The failure recorded for the entity named {@code name} (any identity), or null. */
  Failure failed(String name) {
    return failed.get(name);
  }

  /**
   * Records that {@code e}'s cache cannot be kept ({@code error}), reports it and serves the last
   * good file.
   */
  void markFailed(Entity e, String error) {
    failed.put(e.name(), new Failure(e, error, Instant.now()));
    onFailed.accept(e, error);
    readAddresses.serve(e.name()); // the last good file keeps serving
  }

  /**
   * When {@code e} is a newer entity than a recorded failure of another identity (the shape moved
   * on): forgets the failure and rebuilds the cache from the oplog, because the entity's rows were
   * skipped while it was failed ({@code RECREATE} when the file exists: the last good file serves
   * until the swap). Null when there is nothing to replace.
   */
  RebuildJob replaceFailed(Entity e, boolean fileExists) {
    Failure earlier = failed.get(e.name());
    if (earlier == null || failedFor(e) != null || e.version() <= earlier.entity().version()) {
      return null;
    }
    return retry(e, fileExists ? RebuildJob.Mode.RECREATE : RebuildJob.Mode.INITIAL);
  }

  /** An explicit rebuild (recreate): forgets a recorded failure first. */
  RebuildJob retry(Entity e, RebuildJob.Mode mode) {
    failed.remove(e.name());
    return rebuild(e, mode);
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
                failed.remove(name);
                readAddresses.serve(
                    name); // the new file holds every row of the entity up to the head its last
                // read saw
              } else if (ar.cause() instanceof UniqueViolationException) {
                markFailed(job.entity(), ar.cause().getMessage());
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
