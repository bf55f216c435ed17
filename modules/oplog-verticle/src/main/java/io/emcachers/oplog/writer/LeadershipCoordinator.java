package io.emcachers.oplog.writer;

import io.emcachers.core.bus.ConsumerGroup;
import io.emcachers.oplog.LeaseConfig;
import io.emcachers.oplog.support.EventPublisher;
import io.emcachers.oplog.support.PgErrors;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxException;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies leader-lock transitions: as leader, attaches the writer connection to the {@link
 * WriteQueue} gated by the term's {@link LeaseKeeper}, loads the head id and registers the write
 * consumers; on losing the session, fails queued work with UNAVAILABLE and unregisters them.
 * Publishes a component {@code StatusEvent} on every transition.
 */
public final class LeadershipCoordinator implements LeaderLock.Listener {

  private static final Logger LOG = LoggerFactory.getLogger(LeadershipCoordinator.class);

  private final WriteQueue queue;
  private final OplogHead head;
  private final EventPublisher events;
  private final Supplier<ConsumerGroup> writeConsumerFactory;
  private final Vertx vertx;
  private final long lockKey;
  private final LeaseConfig lease;
  private final BiConsumer<SqlConnection, Throwable> deposer;
  private ConsumerGroup writeConsumers;
  private LeaseKeeper keeper;
  private volatile LeaderTerm term;

  /**
   * @param deposer told when the lease is lost or about to pass: closes {@code connection} (the
   *     leader lock's {@code connectionFailed}), which ends this term
   */
  public LeadershipCoordinator(
      Vertx vertx,
      long lockKey,
      LeaseConfig lease,
      WriteQueue queue,
      OplogHead head,
      EventPublisher events,
      Supplier<ConsumerGroup> writeConsumerFactory,
      BiConsumer<SqlConnection, Throwable> deposer) {
    this.vertx = vertx;
    this.lockKey = lockKey;
    this.lease = lease;
    this.queue = queue;
    this.head = head;
    this.events = events;
    this.writeConsumerFactory = writeConsumerFactory;
    this.deposer = deposer;
  }

  /** The current term while this node leads, else null. */
  public LeaderTerm term() {
    return term;
  }

  /** Milliseconds of lease validity left while leading, else 0. */
  public long leaseRemainingMs() {
    LeaseKeeper k = keeper;
    return k == null ? 0 : k.remainingMs();
  }

  @Override
  public Future<Void> onLeader(SqlConnection connection, LeaderTerm term) {
    stopKeeper();
    LeaseKeeper k =
        new LeaseKeeper(
            vertx,
            queue,
            lockKey,
            term,
            lease,
            reason -> deposer.accept(connection, new VertxException(reason, true)));
    keeper = k;
    this.term = term;
    queue.attach(connection, k::valid);
    k.start();
    return queue
        .submit(
            "load oplog head",
            c ->
                c.query("SELECT coalesce(max(id), 0) AS head FROM oplog")
                    .execute()
                    .map(rows -> rows.iterator().next().getLong("head")))
        .compose(
            h -> {
              head.reset(h);
              unregisterWriteConsumers();
              writeConsumers = writeConsumerFactory.get();
              return writeConsumers.ready().map(h);
            })
        .map(
            h -> {
              LOG.info(
                  "oplog leader serving writes on {} (head id {}, lease epoch {})",
                  writeConsumers.addresses(),
                  h,
                  term.epoch());
              events.componentState(
                  LeaderState.LEADER.componentState(),
                  new JsonObject().put("head_id", h).put("leader_epoch", term.epoch()));
              return null;
            });
  }

  @Override
  public void onStandby() {
    events.componentState(LeaderState.STANDBY.componentState(), new JsonObject());
  }

  @Override
  public void onDisconnected(boolean wasLeader, Throwable cause) {
    stopKeeper();
    term = null;
    queue.detach("writer connection lost (" + PgErrors.describe(cause) + ")");
    unregisterWriteConsumers();
    events.componentState(
        LeaderState.DISCONNECTED.componentState(),
        new JsonObject().put("was_leader", wasLeader).put("error", PgErrors.describe(cause)));
  }

  private void stopKeeper() {
    if (keeper != null) {
      keeper.stop();
      keeper = null;
    }
  }

  /** Unregisters the write consumers (leadership lost, or stopping). */
  public Future<Void> unregisterWriteConsumers() {
    ConsumerGroup group = writeConsumers;
    writeConsumers = null;
    return group == null ? Future.succeededFuture() : group.unregisterAll();
  }
}
