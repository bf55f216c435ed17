package io.emcachers.oplog.writer;

import io.emcachers.core.bus.ConsumerGroup;
import io.emcachers.oplog.support.EventPublisher;
import io.emcachers.oplog.support.PgErrors;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies leader-lock transitions: as leader, attaches the writer connection to the {@link
 * WriteQueue}, loads the head id and registers the write consumers; on losing the session, fails
 * queued work with UNAVAILABLE and unregisters them. Publishes a component {@code StatusEvent} on
 * every transition.
 */
public final class LeadershipCoordinator implements LeaderLock.Listener {

  private static final Logger LOG = LoggerFactory.getLogger(LeadershipCoordinator.class);

  private final WriteQueue queue;
  private final OplogHead head;
  private final EventPublisher events;
  private final Supplier<ConsumerGroup> writeConsumerFactory;
  private ConsumerGroup writeConsumers;

  public LeadershipCoordinator(
      WriteQueue queue,
      OplogHead head,
      EventPublisher events,
      Supplier<ConsumerGroup> writeConsumerFactory) {
    this.queue = queue;
    this.head = head;
    this.events = events;
    this.writeConsumerFactory = writeConsumerFactory;
  }

  @Override
  public Future<Void> onLeader(SqlConnection connection) {
    queue.attach(connection);
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
                  "oplog leader serving writes on {} (head id {})", writeConsumers.addresses(), h);
              events.componentState(
                  LeaderState.LEADER.componentState(), new JsonObject().put("head_id", h));
              return null;
            });
  }

  @Override
  public void onStandby() {
    events.componentState(LeaderState.STANDBY.componentState(), new JsonObject());
  }

  @Override
  public void onDisconnected(boolean wasLeader, Throwable cause) {
    queue.detach("writer connection lost (" + PgErrors.describe(cause) + ")");
    unregisterWriteConsumers();
    events.componentState(
        LeaderState.DISCONNECTED.componentState(),
        new JsonObject().put("was_leader", wasLeader).put("error", PgErrors.describe(cause)));
  }

  /** Unregisters the write consumers (leadership lost, or stopping). */
  public Future<Void> unregisterWriteConsumers() {
    ConsumerGroup group = writeConsumers;
    writeConsumers = null;
    return group == null ? Future.succeededFuture() : group.unregisterAll();
  }
}
