package io.emcachers.api.cluster;

import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.client.CacheClient;
import io.emcachers.core.cluster.ClusterView;
import io.emcachers.core.messages.CacheRowsReply;
import io.vertx.core.Future;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * Picks the node a cache read goes to. The candidates are the live nodes whose heartbeat says they
 * serve the entity: this node first when it is one, the others in turn. A candidate that does not
 * answer (no handler, timeout, unavailable) within {@code attemptTimeoutMs} is skipped for {@code
 * stale_after_ms} and the next one is asked; after the candidates, the entity-wide read address
 * (some node that serves it, or NO_HANDLERS) gets the time that is left. So a holder that died
 * costs one short attempt, not a failed read, until the heartbeats drop it. Event-loop confined.
 */
public final class HolderReads {

  private final ClusterView view;
  private final String self;
  private final long attemptTimeoutMs;
  private final Map<String, Long> suspectUntil = new HashMap<>();
  private int turn;

  public HolderReads(ClusterView view, String self, long attemptTimeoutMs) {
    this.view = view;
    this.self = self;
    this.attemptTimeoutMs = attemptTimeoutMs;
  }

  /**
   * @param read one attempt: the client to read through and its timeout
   */
  public Future<CacheRowsReply> read(
      String entity,
      CacheClient base,
      long timeoutMs,
      BiFunction<CacheClient, Long, Future<CacheRowsReply>> read) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    return attempt(candidates(entity), 0, base, deadline, read);
  }

  List<String> candidates(String entity) {
    long now = System.nanoTime();
    suspectUntil.values().removeIf(until -> until - now < 0);
    List<String> others = new ArrayList<>();
    boolean local = false;
    for (String node : view.serving(entity)) {
      if (suspectUntil.containsKey(node)) {
        continue;
      }
      if (node.equals(self)) {
        local = true;
      } else {
        others.add(node);
      }
    }
    List<String> out = new ArrayList<>();
    if (local) {
      out.add(self);
    }
    if (!others.isEmpty()) {
      int start = Math.floorMod(turn++, others.size());
      for (int i = 0; i < others.size(); i++) {
        out.add(others.get((start + i) % others.size()));
      }
    }
    return out;
  }

  private Future<CacheRowsReply> attempt(
      List<String> nodes,
      int i,
      CacheClient base,
      long deadline,
      BiFunction<CacheClient, Long, Future<CacheRowsReply>> read) {
    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    if (i >= nodes.size() || left <= attemptTimeoutMs) {
      return read.apply(base, Math.max(1, left));
    }
    String node = nodes.get(i);
    return read.apply(base.onNode(node), attemptTimeoutMs)
        .recover(
            err -> {
              if (!retryable(err)) {
                return Future.failedFuture(err);
              }
              if (!(err instanceof ReplyException re
                  && re.failureType() == ReplyFailure.NO_HANDLERS)) {
                // no answer at all: skip it until the heartbeats have had time to tell
                suspectUntil.put(
                    node,
                    System.nanoTime()
                        + TimeUnit.MILLISECONDS.toNanos(view.config().staleAfterMs()));
              }
              return attempt(nodes, i + 1, base, deadline, read);
            });
  }

  /** Failures that say "this node cannot answer now", not "this read is wrong". */
  static boolean retryable(Throwable err) {
    if (!(err instanceof ReplyException re)) {
      return false;
    }
    return switch (re.failureType()) {
      case NO_HANDLERS, TIMEOUT -> true;
      case RECIPIENT_FAILURE ->
          re.failureCode() == ErrorCodes.UNAVAILABLE
              || re.failureCode() == ErrorCodes.TIMEOUT
              || re.failureCode() == ErrorCodes.NOT_FOUND;
      default -> false;
    };
  }
}
