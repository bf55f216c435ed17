package io.emcachers.listener.stream;

import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.OplogEntry;
import java.util.List;
import java.util.function.Consumer;

/**
 * What the streams need from their owner, as separate narrow roles: turn an event into entries,
 * re-scan when a stream's position is lost, observe failures and acks (health, metrics, skip
 * reports), and stop when the oplog side is not the leader. Called on the listener's context.
 */
public record StreamHooks(
    EventRouter router,
    PositionLost positionLost,
    Observer observer,
    Consumer<Throwable> notLeader) {

  /** The oplog entries of one event (fan-out to every entity of its collection, projected). */
  @FunctionalInterface
  public interface EventRouter {
    List<OplogEntry> route(ChangeEvent event);
  }

  /**
   * The stream's stored position was unusable (invalid token, history lost, invalidate, or a
   * restart before any position of it was committed): it already restarted at "now"; the entities
   * of {@code collection} (null: the database stream, so every entity) must be re-scanned.
   */
  @FunctionalInterface
  public interface PositionLost {
    void lost(String stream, String collection, Throwable cause);
  }

  /** Health and reporting: a failure that makes a stream reconnect, and every ack. */
  public interface Observer {
    void failed(String stream, Throwable cause);

    void acked(String stream, String collection, AppendBatch batch, AppendResult result);
  }
}
