package io.emcachers.oplog.writer;

import io.emcachers.core.circuit.Breaker;
import io.emcachers.core.circuit.CircuitOpenException;
import io.emcachers.core.retry.Backoff;
import io.emcachers.oplog.OplogConfig;
import io.emcachers.oplog.support.PgErrors;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxException;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the writer connection and leader election: connects (capped exponential backoff on failure,
 * one "recovered" log line), then contends with {@code pg_try_advisory_lock(key)} on that same
 * connection. Not obtained: standby, re-contend every {@code standby_retry_ms}. Obtained: leader
 * until the session is lost; the lock is session-scoped, so a node whose connection closes can no
 * longer write and another node takes over. A lost connection reports {@link
 * LeaderState#DISCONNECTED}, reconnects and contends again.
 *
 * <p>The lock alone cannot depose a leader that is frozen (SIGSTOP, a GC pause) or partitioned
 * without a FIN: its session looks alive. So the winner also claims the lease row of schema V5
 * (epoch + 1, its fencing token, {@link LeaderTerm}) and renews it ({@link LeaseKeeper}); a standby
 * that finds the lease passed while the lock is still held by the lease's backend ends that backend
 * with {@code pg_terminate_backend} and contends again at once. A standby looks again just after
 * the lease it saw would pass, so a hang is noticed within {@code lease_ttl_ms}.
 *
 * <p>With a {@link Breaker}, the connect and the lock query run through the {@code postgresql}
 * circuit breaker (untimed: the connect timeout and the lock watchdog bound them). While the
 * breaker is open, a connect is not attempted; as soon as it turns half-open (or closes) a waiting
 * reconnect runs at once, so the writer is the breaker's probe and its reconnect backoff never adds
 * to the breaker's reset timeout. A lock query refused by the open breaker keeps the (working)
 * standby connection and contends again later.
 *
 * <p>All callbacks run on the verticle's context.
 *
 * <p>Longer than our usual 300 lines on purpose: connect, contend, watch and reconnect are one
 * state machine over one connection, and splitting it would spread that state over several classes.
 */
public final class LeaderLock {

  private static final Logger LOG = LoggerFactory.getLogger(LeaderLock.class);

  /** How long a standby waits for an expired leader's backend to exit. */
  private static final long TERMINATE_WAIT_MS = 3000;

  /** A standby looks again this long after the lease it saw would pass. */
  private static final long EXPIRY_SLACK_MS = 20;

  /** Receives the state transitions. */
  public interface Listener {
    /**
     * This node now holds the lock on {@code connection} and has claimed the lease of {@code term};
     * the returned future completes when it serves writes.
     */
    Future<Void> onLeader(SqlConnection connection, LeaderTerm term);

    void onStandby();

    /**
     * The writer connection is gone (called once per transition out of leader or standby); {@code
     * wasLeader} tells whether writes must stop.
     */
    void onDisconnected(boolean wasLeader, Throwable cause);
  }

  private final Vertx vertx;
  private final OplogConfig config;
  private final Listener listener;
  private final Backoff backoff;
  private final Promise<Void> firstDecision = Promise.promise();
  private final Breaker breaker;
  private io.vertx.core.Context context;

  private volatile LeaderState state = LeaderState.DISCONNECTED;
  private volatile Instant stateSince = Instant.now();
  private PgConnection connection;
  private long generation;
  private long timer = -1;
  private boolean stopped;
  private volatile long epoch;
  private volatile LeaseStore.View lastSeenLease;
  private volatile String lastError;
  private volatile long terminationsRefused;
  private volatile Instant lastErrorAt;

  public LeaderLock(Vertx vertx, OplogConfig config, Listener listener) {
    this(vertx, config, listener, null);
  }

  /** As above, connects and lock queries running through {@code breaker} (null: unguarded). */
  public LeaderLock(Vertx vertx, OplogConfig config, Listener listener, Breaker breaker) {
    this.breaker = breaker;
    this.vertx = vertx;
    this.config = config;
    this.listener = listener;
    this.backoff = new Backoff(config.reconnectInitialBackoffMs(), config.reconnectMaxBackoffMs());
  }

  /**
   * Starts connecting; completes once the first contention is decided (leader, standby or
   * disconnected).
   */
  public Future<Void> start() {
    context = vertx.getOrCreateContext();
    if (breaker != null) {
      breaker.onTransition(() -> context.runOnContext(v -> probeNow()));
    }
    connect();
    return firstDecision.future();
  }

  public LeaderState state() {
    return state;
  }

  public Instant stateSince() {
    return stateSince;
  }

  public String lastError() {
    return lastError;
  }

  /** The lease epoch of this node's current or last term (0: never led). */
  public long epoch() {
    return epoch;
  }

  /** The lease as this node last saw it while standby (null before the first look). */
  public JsonObject lastSeenLease() {
    LeaseStore.View v = lastSeenLease;
    return v == null
        ? null
        : new JsonObject()
            .put("epoch", v.epoch())
            .put("node_id", v.nodeId())
            .put("holder_pid", v.holderPid())
            .put("expired", v.expired())
            .put("expires_in_ms", v.expiresInMs());
  }

  public Instant lastErrorAt() {
    return lastErrorAt;
  }

  public int consecutiveErrors() {
    return backoff.consecutiveErrors();
  }

  /**
   * Reports that work on {@code failed} hit a dead or hung session: closes it (releasing the lock
   * server-side) and reconnects. Ignored when {@code failed} is no longer the current connection.
   */
  public void connectionFailed(SqlConnection failed, Throwable cause) {
    if (!stopped && failed != null && failed == connection) {
      lost(cause);
    }
  }

  /** Stops contending and closes the writer connection, which releases the lock. */
  public Future<Void> stop() {
    stopped = true;
    generation++;
    cancelTimer();
    PgConnection c = connection;
    connection = null;
    firstDecision.tryComplete();
    if (c == null) {
      return Future.succeededFuture();
    }
    return c.close().otherwiseEmpty();
  }

  /** The breaker turned half-open or closed: a reconnect waiting for its backoff runs now. */
  private void probeNow() {
    if (!stopped
        && connection == null
        && timer >= 0
        && breaker.state() != Breaker.CircuitState.OPEN) {
      cancelTimer();
      connect();
    }
  }

  private Future<PgConnection> openConnection() {
    Promise<PgConnection> attempt = Promise.promise();
    long connectTimer =
        vertx.setTimer(
            config.connectTimeoutMs(),
            id ->
                attempt.tryFail(
                    new VertxException(
                        "connect to "
                            + config.describeTarget()
                            + " timed out after "
                            + config.connectTimeoutMs()
                            + " ms",
                        true)));
    PgConnection.connect(vertx, config.connectOptions())
        .onComplete(
            ar -> {
              vertx.cancelTimer(connectTimer);
              if (ar.succeeded() && !attempt.tryComplete(ar.result())) {
                ar.result().close(); // too late: the attempt already timed out
              } else if (ar.failed()) {
                attempt.tryFail(ar.cause());
              }
            });
    return attempt.future();
  }

  private void connect() {
    long gen = ++generation;
    Future<PgConnection> attempt =
        breaker == null
            ? openConnection()
            : breaker.callUntimed("connect the oplog writer session", this::openConnection);
    attempt.onComplete(
        ar -> {
          if (stopped || gen != generation) {
            if (ar.succeeded()) {
              ar.result().close();
            }
            return;
          }
          if (ar.failed()) {
            lost(ar.cause());
            return;
          }
          PgConnection c = ar.result();
          connection = c;
          c.closeHandler(
              v -> {
                if (!stopped && gen == generation) {
                  lost(new VertxException("writer connection closed", true));
                }
              });
          c.exceptionHandler(e -> LOG.debug("oplog writer connection error: {}", e.toString()));
          contend(gen);
        });
  }

  private void contend(long gen) {
    timer = -1;
    PgConnection c = connection;
    if (stopped || gen != generation || c == null) {
      return;
    }
    // a session that stops answering (no FIN, e.g. a network partition) must not leave us in limbo
    long bound = Math.max(config.connectTimeoutMs(), config.standbyRetryMs()) + TERMINATE_WAIT_MS;
    long watchdog =
        vertx.setTimer(
            bound,
            id -> {
              if (!stopped && gen == generation) {
                lost(
                    new VertxException(
                        "advisory lock query not answered within " + bound + " ms", true));
              }
            });
    long claimSent = System.nanoTime();
    java.util.function.Supplier<Future<Decision>> query = () -> attempt(c);
    (breaker == null ? query.get() : breaker.callUntimed("contend for the leader lock", query))
        .onComplete(
            ar -> {
              vertx.cancelTimer(watchdog);
              if (stopped || gen != generation) {
                return;
              }
              if (ar.failed() && CircuitOpenException.isCircuitOpen(ar.cause())) {
                // not attempted: the session itself is fine; contend again later
                lastError = ar.cause().getMessage();
                lastErrorAt = Instant.now();
                firstDecision.tryComplete();
                timer = vertx.setTimer(config.standbyRetryMs(), id -> contend(gen));
                return;
              }
              if (ar.failed()) {
                lost(ar.cause());
                return;
              }
              int recovered = backoff.succeeded();
              if (recovered > 0) {
                LOG.info(
                    "oplog writer connection to {} recovered after {} consecutive error(s)",
                    config.describeTarget(),
                    recovered);
              }
              Decision decision = ar.result();
              if (decision.epoch() > 0) {
                becomeLeader(gen, c, new LeaderTerm(decision.epoch(), claimSent));
              } else if (decision.retryNow()) {
                contend(gen);
              } else {
                if (state != LeaderState.STANDBY) {
                  LOG.info(
                      "oplog node {} is standby: advisory lock {} is held by another session; retrying every {} ms",
                      config.nodeId(),
                      config.leaderLockKey(),
                      config.standbyRetryMs());
                  setState(LeaderState.STANDBY);
                  listener.onStandby();
                }
                firstDecision.tryComplete();
                timer = vertx.setTimer(decision.retryInMs(), id -> contend(gen));
              }
            });
  }

  /**
   * One contention: the lock, then either the lease claim (leader) or a look at the lease; a lease
   * that passed while its holder still holds the lock means a frozen or partitioned leader: its
   * backend is ended, and the lock tried again at once.
   */
  private Future<Decision> attempt(PgConnection c) {
    return c.preparedQuery("SELECT pg_try_advisory_lock($1)")
        .execute(Tuple.of(config.leaderLockKey()))
        .compose(
            rows -> {
              if (Boolean.TRUE.equals(rows.iterator().next().getBoolean(0))) {
                return LeaseStore.claim(
                        c, config.leaderLockKey(), config.nodeId(), config.lease().ttlMs())
                    .map(e -> new Decision(e, false, 0));
              }
              return LeaseStore.inspect(c, config.leaderLockKey()).compose(v -> afterLook(c, v));
            });
  }

  private Future<Decision> afterLook(PgConnection c, LeaseStore.View view) {
    lastSeenLease = view;
    if (view.holderIsExpiredLeaseholder()) {
      LOG.warn(
          "oplog node {}: the leader lease of node {} (epoch {}) expired {} ms ago while its session (backend pid {}) still holds lock {}: ending that session and taking over",
          config.nodeId(),
          view.nodeId(),
          view.epoch(),
          -view.expiresInMs(),
          view.holderPid(),
          config.leaderLockKey());
      return LeaseStore.terminate(c, view.holderPid(), TERMINATE_WAIT_MS)
          .recover(err -> refusedTermination(err, view))
          .map(
              gone -> {
                if (gone == null) { // refused: look again later, not at once
                  return new Decision(0, false, config.standbyRetryMs());
                }
                LOG.info(
                    "oplog node {}: backend {} of the expired leader {}",
                    config.nodeId(),
                    view.holderPid(),
                    gone ? "ended" : "did not end within " + TERMINATE_WAIT_MS + " ms");
                return new Decision(0, true, 0);
              });
    }
    long retry = config.standbyRetryMs();
    if (view.epoch() > 0 && view.holderPid() == view.leasePid() && !view.expired()) {
      // look again just after the lease would pass, so a hang is noticed within lease_ttl_ms
      retry = Math.max(1, Math.min(retry, view.expiresInMs() + EXPIRY_SLACK_MS));
    }
    return Future.succeededFuture(new Decision(0, false, retry));
  }

  /**
   * Ending the expired leaseholder's backend was refused for lack of privilege (SQLSTATE 42501): a
   * retry cannot fix that until someone grants it, so it is said once, loudly, with the fix; the
   * standby goes on looking (the lock comes free when the frozen session ends some other way).
   */
  private Future<Boolean> refusedTermination(Throwable err, LeaseStore.View view) {
    if (!(err instanceof io.vertx.pgclient.PgException pe) || !"42501".equals(pe.getSqlState())) {
      return Future.failedFuture(err);
    }
    terminationsRefused++;
    lastError =
        "cannot end the expired leader's session (backend pid "
            + view.holderPid()
            + "): "
            + pe.getErrorMessage()
            + "; run GRANT pg_signal_backend TO <this node's role>, or connect every node as the"
            + " same role";
    lastErrorAt = Instant.now();
    if (terminationsRefused == 1) {
      LOG.error("oplog node {}: {}", config.nodeId(), lastError);
    }
    return Future.succeededFuture(null);
  }

  /** How often ending an expired leaseholder's session was refused for lack of privilege. */
  public long terminationsRefused() {
    return terminationsRefused;
  }

  /** Leader (epoch > 0), contend again now, or stay standby and look again in retryInMs. */
  private record Decision(long epoch, boolean retryNow, long retryInMs) {}

  private void becomeLeader(long gen, PgConnection c, LeaderTerm term) {
    epoch = term.epoch();
    LOG.info(
        "oplog node {} is the leader: holds advisory lock {} on {}, lease epoch {}",
        config.nodeId(),
        config.leaderLockKey(),
        config.describeTarget(),
        term.epoch());
    setState(LeaderState.LEADER);
    Future<Void> ready;
    try {
      ready = listener.onLeader(c, term);
    } catch (RuntimeException e) {
      ready = Future.failedFuture(e);
    }
    ready.onComplete(
        ar -> {
          if (ar.failed() && !stopped && gen == generation) {
            LOG.warn("oplog leader could not start serving writes: {}", ar.cause().toString());
            lost(ar.cause());
          }
          firstDecision.tryComplete();
        });
  }

  private void lost(Throwable cause) {
    generation++;
    cancelTimer();
    PgConnection c = connection;
    connection = null;
    if (c != null) {
      c.close();
    }
    lastError = PgErrors.describe(cause);
    lastErrorAt = Instant.now();
    boolean wasLeader = state == LeaderState.LEADER;
    long delay = backoff.failed();
    if (wasLeader) {
      LOG.warn(
          "oplog leader lost its writer session ({}); write consumers unregistered; reconnecting in {} ms",
          lastError,
          delay);
    } else {
      LOG.warn(
          "oplog writer connection to {} failed ({} consecutive error(s)): {}; retrying in {} ms",
          config.describeTarget(),
          backoff.consecutiveErrors(),
          lastError,
          delay);
    }
    if (state != LeaderState.DISCONNECTED) {
      setState(LeaderState.DISCONNECTED);
      listener.onDisconnected(wasLeader, cause);
    }
    firstDecision.tryComplete();
    timer =
        vertx.setTimer(
            delay,
            id -> {
              timer = -1;
              if (!stopped) {
                connect();
              }
            });
  }

  private void setState(LeaderState next) {
    state = next;
    stateSince = Instant.now();
  }

  private void cancelTimer() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }
}
