package io.emcachers.oplog.writer;

import io.emcachers.oplog.LeaseConfig;
import io.vertx.core.Vertx;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's side of the lease: renews it every {@code lease_renew_ms} through the front of the
 * {@link WriteQueue}, and deposes this node by itself once the last renewal's validity is about to
 * pass, before any standby may end its session. Validity is counted from when a renewal was
 * <em>sent</em> on this node's monotonic clock, so it never outlasts the server-side expiry. A
 * frozen process (SIGSTOP, a long GC pause) cannot run this, but its session is ended by the
 * standby meanwhile, and on waking the overdue check fires before any new unit starts: {@link
 * #valid()} gates every unit of the queue.
 *
 * <p>Used on the verticle's context only.
 */
final class LeaseKeeper {

  private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);

  private final Vertx vertx;
  private final WriteQueue queue;
  private final long lockKey;
  private final LeaderTerm term;
  private final LeaseConfig config;
  private final Consumer<String> deposed;
  private volatile long validUntilNanos;
  private long renewTimer = -1;
  private long fenceTimer = -1;
  private boolean stopped;

  LeaseKeeper(
      Vertx vertx,
      WriteQueue queue,
      long lockKey,
      LeaderTerm term,
      LeaseConfig config,
      Consumer<String> deposed) {
    this.vertx = vertx;
    this.queue = queue;
    this.lockKey = lockKey;
    this.term = term;
    this.config = config;
    this.deposed = deposed;
    this.validUntilNanos = term.claimSentNanos() + config.ttlMs() * 1_000_000L;
  }

  void start() {
    armFence();
    renewTimer = vertx.setPeriodic(config.renewMs(), config.renewMs(), id -> renew());
  }

  void stop() {
    stopped = true;
    if (renewTimer >= 0) {
      vertx.cancelTimer(renewTimer);
    }
    if (fenceTimer >= 0) {
      vertx.cancelTimer(fenceTimer);
    }
  }

  /** Whether this node may still start a write: the lease is valid for longer than the margin. */
  boolean valid() {
    return !stopped
        && System.nanoTime() < validUntilNanos - config.selfFenceMarginMs() * 1_000_000L;
  }

  /** Milliseconds of validity left (negative once passed). */
  long remainingMs() {
    return (validUntilNanos - System.nanoTime()) / 1_000_000L;
  }

  private void renew() {
    if (stopped) {
      return;
    }
    long sent = System.nanoTime();
    queue
        .submitFirst(
            "renew the leader lease",
            c -> LeaseStore.renew(c, lockKey, term.epoch(), config.ttlMs()))
        .onComplete(
            ar -> {
              if (stopped) {
                return;
              }
              if (ar.succeeded() && ar.result()) {
                validUntilNanos = Math.max(validUntilNanos, sent + config.ttlMs() * 1_000_000L);
                armFence();
              } else if (ar.succeeded()) {
                depose(
                    "the lease of epoch "
                        + term.epoch()
                        + " is no longer held by this session (another node took over)");
              } else {
                // the queue reports a broken session itself; the fence timer covers the rest
                LOG.debug("leader lease renewal failed: {}", ar.cause().toString());
              }
            });
  }

  private void armFence() {
    if (fenceTimer >= 0) {
      vertx.cancelTimer(fenceTimer);
    }
    long delayMs = Math.max(1, remainingMs() - config.selfFenceMarginMs());
    fenceTimer =
        vertx.setTimer(
            delayMs,
            id -> {
              fenceTimer = -1;
              if (!stopped && !valid()) {
                depose(
                    "the leader lease of epoch "
                        + term.epoch()
                        + " was not renewed within lease_ttl_ms ("
                        + config.ttlMs()
                        + " ms)");
              } else if (!stopped) {
                armFence();
              }
            });
  }

  private void depose(String reason) {
    if (stopped) {
      return;
    }
    stop();
    LOG.warn("oplog leader deposed: {}; stopping writes at once", reason);
    deposed.accept(reason);
  }
}
