package io.emcachers.oplog;

import io.emcachers.core.circuit.Breaker;
import io.emcachers.core.jobs.JobScheduler;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.oplog.support.EventPublisher;
import io.emcachers.oplog.support.OplogMetrics;
import io.emcachers.oplog.support.PgErrors;
import io.emcachers.oplog.writer.LeaderLock;
import io.emcachers.oplog.writer.LeaderState;
import io.emcachers.oplog.writer.LeaderTerm;
import io.emcachers.oplog.writer.LeadershipCoordinator;
import io.emcachers.oplog.writer.OplogHead;
import io.emcachers.oplog.writer.WriteQueue;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.time.Instant;

/**
 * Health of this node's oplog verticle: {@code emc.oplog.leader.local} (node-local: state leader /
 * standby / disconnected, which the listener checks before streaming) and {@code emc.oplog.health}
 * (clustered: the same plus last error, uptime, head id, jobs, totals). {@code ok} is false only
 * while disconnected from PostgreSQL. The clustered reply's {@code circuits} holds the {@code
 * postgresql} circuit breaker ({@code {"postgresql": {"state": "closed", "failures": 0, ...}}});
 * its head query goes through that breaker too, so an open breaker shows as {@code
 * postgres_reachable: false} with {@code read_error} "postgresql circuit open: ...".
 */
final class OplogHealthReporter {

  private final OplogConfig config;
  private final LeaderLock lock;
  private final LeadershipCoordinator leadership;
  private final WriteQueue queue;
  private final OplogHead head;
  private final OplogMetrics metrics;
  private final JobScheduler jobs;
  private final Pool pool;
  private final Breaker breaker;
  private final Instant startedAt = Instant.now();

  public OplogHealthReporter(
      OplogConfig config,
      LeaderLock lock,
      LeadershipCoordinator leadership,
      WriteQueue queue,
      OplogHead head,
      OplogMetrics metrics,
      JobScheduler jobs,
      Pool pool,
      Breaker breaker) {
    this.breaker = breaker;
    this.config = config;
    this.lock = lock;
    this.leadership = leadership;
    this.queue = queue;
    this.head = head;
    this.metrics = metrics;
    this.jobs = jobs;
    this.pool = pool;
  }

  public Future<HealthReply> leaderLocal(HealthRequest request) {
    LeaderState state = lock.state();
    return Future.succeededFuture(
        new HealthReply(
            EventPublisher.COMPONENT,
            state != LeaderState.DISCONNECTED,
            state.componentState(),
            base(state)));
  }

  public Future<HealthReply> health(HealthRequest request) {
    return pool.query("SELECT coalesce(max(id), 0) AS head FROM oplog")
        .execute()
        .map(
            rows -> {
              long h = rows.iterator().next().getLong("head");
              head.advance(h);
              return new JsonObject().put("head_id", h).put("postgres_reachable", true);
            })
        .otherwise(
            e ->
                new JsonObject()
                    .put("head_id", head.get())
                    .put("postgres_reachable", false)
                    .put("read_error", PgErrors.describe(e)))
        .map(
            extra -> {
              LeaderState state = lock.state();
              JsonArray jobList = new JsonArray();
              jobs.stats().forEach(s -> jobList.add(s.toJson()));
              JsonObject details =
                  base(state)
                      .mergeIn(extra)
                      .put("uptime_ms", Duration.between(startedAt, Instant.now()).toMillis())
                      .put("started_at", startedAt.toString())
                      .put("postgres", config.describeTarget())
                      .put("leader_lock_key", config.leaderLockKey())
                      .put("consecutive_errors", lock.consecutiveErrors())
                      .put("queue_depth", queue.depth())
                      .put("writes_completed", queue.completed())
                      .put("batches_total", metrics.batchesTotal())
                      .put("append_failures_total", metrics.failuresTotal())
                      .put("appended_total", metrics.appendedTotal())
                      .put("staged_total", metrics.stagedTotal())
                      .put("dropped_total", metrics.droppedTotal())
                      .put("repaired_total", metrics.repairedTotal())
                      .put("repair_skipped_total", metrics.repairSkippedTotal())
                      .put("jobs", jobList);
              if (breaker != null) {
                details.put("circuits", new JsonObject().put(breaker.target(), breaker.toJson()));
              }
              return new HealthReply(
                  EventPublisher.COMPONENT,
                  state != LeaderState.DISCONNECTED,
                  state.componentState(),
                  details);
            });
  }

  private JsonObject base(LeaderState state) {
    LeaderTerm term = leadership.term();
    JsonObject lease = new JsonObject().put("ttl_ms", config.lease().ttlMs());
    if (term != null) {
      lease.put("epoch", term.epoch()).put("valid_for_ms", leadership.leaseRemainingMs());
    } else if (lock.lastSeenLease() != null) {
      lease.put("seen", lock.lastSeenLease());
    }
    return new JsonObject()
        .put("node", config.nodeId())
        .put("leader_epoch", term == null ? 0 : term.epoch())
        .put("lease", lease)
        .put("state", state.wireName())
        .put("leader", state == LeaderState.LEADER)
        .put("since", lock.stateSince().toString())
        .put("last_error", lock.lastError())
        .put("takeovers_refused", lock.terminationsRefused())
        .put("last_error_at", lock.lastErrorAt() == null ? null : lock.lastErrorAt().toString());
  }
}
