package io.emcachers.api.changes;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * The highest value a published event carried (the oplog head of {@code emc.oplog.appended}, a
 * replicator's offset of {@code emc.replicator.applied}), and the waiters to wake once it passes
 * theirs: long-polls, streams and read-your-writes waits wake on the publish itself, never by
 * polling. Confined to the API verticle's context: the consumer, the HTTP handlers and the waiters
 * run on it.
 */
public final class Watermark {

  /** A registered wake-up; {@link #cancel()} it when the request goes away first. */
  public final class Waiter {
    private final long above;
    private final Runnable wake;

    private Waiter(long above, Runnable wake) {
      this.above = above;
      this.wake = wake;
    }

    public void cancel() {
      waiters.remove(this);
      waiting = waiters.size();
    }
  }

  private final Vertx vertx;
  private final String address;
  private final ToLongFunction<Object> valueOf;
  private final Set<Waiter> waiters = new LinkedHashSet<>();
  private volatile int waiting;
  private long value = -1;
  private MessageConsumer<Object> consumer;
  private Context context;

  /**
   * {@code valueOf} extracts the value from a message body (returns -1 for a body to ignore);
   * {@code local}: a node-local consumer.
   */
  public Watermark(Vertx vertx, String address, ToLongFunction<Object> valueOf) {
    this.vertx = vertx;
    this.address = address;
    this.valueOf = valueOf;
  }

  public Future<Void> start(boolean local) {
    context = vertx.getOrCreateContext();
    consumer =
        local
            ? vertx.eventBus().localConsumer(address, m -> raise(valueOf.applyAsLong(m.body())))
            : vertx.eventBus().consumer(address, m -> raise(valueOf.applyAsLong(m.body())));
    return consumer.completion();
  }

  public Future<Void> stop() {
    waiters.clear();
    waiting = 0;
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  /** The highest value seen so far (-1: none). */
  public long value() {
    return value;
  }

  /** Raises the value (a reply that read a newer one counts too) and wakes who it passes. */
  public void raise(long v) {
    if (v <= value) {
      return;
    }
    value = v;
    List<Waiter> due = new ArrayList<>();
    for (Waiter w : waiters) {
      if (value > w.above) {
        due.add(w);
      }
    }
    waiters.removeAll(due);
    waiting = waiters.size();
    due.forEach(w -> w.wake.run());
  }

  /**
   * Calls {@code wake} once the value is above {@code above} — on the next turn of the context when
   * it already is.
   */
  public Waiter await(long above, Runnable wake) {
    Waiter w = new Waiter(above, wake);
    if (value > above) {
      context.runOnContext(v -> wake.run());
    } else {
      waiters.add(w);
      waiting = waiters.size();
    }
    return w;
  }

  /** Waiters registered now (for stats and tests; readable from any thread). */
  public int waiting() {
    return waiting;
  }
}
