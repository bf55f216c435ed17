package io.emcachers.listener.scan;

import io.emcachers.core.client.OplogClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Consumer;

/**
 * The scans of one listener session: requested scans run one at a time, in request order. A scan
 * requested again while queued keeps its place (a from-start request replaces a queued
 * continuation, at the end); a restart cancels the running scan of that entity first. A superseded
 * scan (STALE) is queued again from the start; every other {@link ScanOutcome} goes to the owner.
 * Runs on the listener's context.
 */
public final class ScanQueue {

  /**
   * Where a scan starts: always from the first {@code _id}, or continuing an interrupted attempt
   * when that is gap-free.
   */
  public enum Mode {
    FROM_START,
    CONTINUE
  }

  private record Request(String entity, Mode mode, String reason) {}

  private final ScanCollaborators with;
  private final ScanOplog oplog;
  private final Consumer<ScanOutcome> outcomes;
  private final Deque<Request> queue = new ArrayDeque<>();
  private EntityScan running;
  private boolean stopped;

  /**
   * {@code oplog}: the session's client of the oplog side (scan begin, state, end); {@code
   * outcomes}: how each scan ended (Live, Refused, NotLeader, Stopped), after the queue moved on.
   */
  public ScanQueue(ScanCollaborators with, OplogClient oplog, Consumer<ScanOutcome> outcomes) {
    this.with = with;
    this.oplog = new ScanOplog(oplog, with.config().appendTimeoutMs());
    this.outcomes = outcomes;
  }

  /**
   * Queues a scan of a known entity; {@code restartIfRunning} cancels a running scan of it first.
   */
  public void request(String name, Mode mode, String reason, boolean restartIfRunning) {
    if (stopped || with.entities().entity(name) == null) {
      return;
    }
    if (running != null && running.entityName().equals(name) && !running.cancelled()) {
      if (!restartIfRunning) {
        return;
      }
      running.cancel();
    }
    for (Request r : queue) {
      if (r.entity.equals(name)) {
        if (mode == Mode.FROM_START && r.mode != mode) {
          queue.remove(r);
          queue.addLast(new Request(name, mode, reason));
        }
        pump();
        return;
      }
    }
    queue.addLast(new Request(name, mode, reason));
    pump();
  }

  /** The entity is gone: drop its queued scan and cancel its running one. */
  public void cancel(String name) {
    queue.removeIf(r -> r.entity.equals(name));
    if (running != null && running.entityName().equals(name)) {
      running.cancel();
    }
  }

  /** True while a scan of {@code name} runs or waits. */
  public boolean isScanning(String name) {
    return running != null && running.entityName().equals(name) && !running.cancelled()
        || queue.stream().anyMatch(r -> r.entity.equals(name));
  }

  public void stop() {
    stopped = true;
    if (running != null) {
      running.cancel();
      running = null;
    }
    queue.clear();
  }

  private void pump() {
    if (stopped || running != null && !running.cancelled() || queue.isEmpty()) {
      return;
    }
    Request req = queue.pollFirst();
    EntityScan scan = new EntityScan(with, oplog, req.entity, req.mode, req.reason);
    running = scan;
    scan.run()
        .onComplete(
            ar -> {
              if (running == scan) {
                running = null;
              }
              ScanOutcome outcome = ar.result();
              if (!stopped) {
                if (outcome instanceof ScanOutcome.Superseded s) {
                  request(s.entity(), Mode.FROM_START, "scan attempt superseded", false);
                } else {
                  outcomes.accept(outcome);
                }
              }
              pump();
            });
  }

  /** The running scan (null: none). */
  public JsonObject runningJson() {
    return running == null ? null : running.toJson();
  }

  public JsonArray queuedJson() {
    JsonArray queued = new JsonArray();
    queue.forEach(
        r ->
            queued.add(
                new JsonObject()
                    .put("entity", r.entity)
                    .put("mode", r.mode.name().toLowerCase())
                    .put("reason", r.reason)));
    return queued;
  }
}
