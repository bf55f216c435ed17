package io.emcachers.oplog.writer;

import io.emcachers.core.bus.BusException;
import io.emcachers.core.bus.ErrorCodes;
import io.vertx.core.Future;
import java.util.function.Supplier;

/**
 * Refuses writes stamped with another leader term than this node's current one. A sender (the
 * listener) stamps its requests with the lease epoch of the term it works for; a request still in
 * flight when that term ended, or one that reaches a node of a newer term, fails {@link
 * ErrorCodes#NOT_LEADER} and writes nothing. The check is made locally and then by the database:
 * appends carry it in their own statement ({@link OplogWriter#FENCE}); other writes ({@link
 * #check}) read the lease row on the writer session just before they are queued. Only the session
 * holding the advisory lock ever changes that row, so it cannot move between that read and the
 * write, except by this node losing its session, which fails the write too. Unstamped requests
 * (epoch 0: the API's entity changes, compaction, repairs) are not fenced.
 */
public final class LeaderFence {

  private final WriteQueue queue;
  private final long lockKey;
  private final Supplier<LeaderTerm> term;

  public LeaderFence(WriteQueue queue, long lockKey, Supplier<LeaderTerm> term) {
    this.queue = queue;
    this.lockKey = lockKey;
    this.term = term;
  }

  long lockKey() {
    return lockKey;
  }

  /** Fails NOT_LEADER unless {@code epoch} is 0 or this node's current term. */
  public Future<Void> checkLocal(long epoch) {
    if (epoch == 0) {
      return Future.succeededFuture();
    }
    LeaderTerm current = term.get();
    if (current == null || current.epoch() != epoch) {
      return Future.failedFuture(stale(epoch, "write"));
    }
    return Future.succeededFuture();
  }

  /** {@link #checkLocal}, then the lease row itself, read on the writer session. */
  public Future<Void> check(long epoch, String label) {
    if (epoch == 0) {
      return Future.succeededFuture();
    }
    return checkLocal(epoch)
        .compose(
            v -> queue.submit(label + " leader epoch check", c -> LeaseStore.epoch(c, lockKey)))
        .compose(
            db ->
                db == epoch
                    ? Future.<Void>succeededFuture()
                    : Future.failedFuture(stale(epoch, label)));
  }

  static BusException stale(long epoch, String what) {
    return new BusException(
        ErrorCodes.NOT_LEADER,
        what
            + " refused: it belongs to leader term "
            + epoch
            + ", which is not the current leader term; nothing was written");
  }
}
