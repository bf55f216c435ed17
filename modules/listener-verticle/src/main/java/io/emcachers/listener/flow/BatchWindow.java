package io.emcachers.listener.flow;

import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Function;

/**
 * The backpressure window: at most {@code maxBatches} append batches await their ack. Batches
 * submitted beyond that wait in a FIFO queue (sent in submission order). Producers ask {@link
 * #hasRoom()} before reading more from MongoDB, and are called back through {@link
 * #onRoom(Runnable)} when an ack frees a slot, so the number of entries held anywhere stays bounded
 * by (window + one read) whatever the source's write rate. Runs on one Vert.x context. Its own
 * package: both {@code stream/} and {@code scan/} submit to it, and neither depends on the other.
 * It reads no time (the batch delay is the stream's timer), so it takes no clock.
 */
public final class BatchWindow {

  private final int maxBatches;
  private final Function<AppendBatch, Future<AppendResult>> sender;
  private final Deque<Queued> queue = new ArrayDeque<>();
  private final List<Runnable> roomListeners = new ArrayList<>();
  private int unackedBatches;
  private long entriesInFlight;
  private long maxEntriesInFlight;
  private long ackedBatches;
  private long failedBatches;
  private boolean closed;

  private record Queued(AppendBatch batch, Promise<AppendResult> promise) {}

  public BatchWindow(int maxBatches, Function<AppendBatch, Future<AppendResult>> sender) {
    this.maxBatches = maxBatches;
    this.sender = sender;
  }

  /** True when a producer may read more: a slot is free and nothing waits in the queue. */
  public boolean hasRoom() {
    return !closed && unackedBatches + queue.size() < maxBatches;
  }

  public void onRoom(Runnable listener) {
    roomListeners.add(listener);
  }

  public void removeRoomListener(Runnable listener) {
    roomListeners.remove(listener);
  }

  /** Queues {@code batch}; the future completes with its ack (or the send failure). */
  public Future<AppendResult> submit(AppendBatch batch) {
    if (closed) {
      return Future.failedFuture(new IllegalStateException("listener window closed"));
    }
    Promise<AppendResult> promise = Promise.promise();
    queue.addLast(new Queued(batch, promise));
    dispatch();
    return promise.future();
  }

  private void dispatch() {
    while (unackedBatches < maxBatches && !queue.isEmpty()) {
      Queued q = queue.removeFirst();
      int size = q.batch.entries().size();
      unackedBatches++;
      entriesInFlight += size;
      maxEntriesInFlight = Math.max(maxEntriesInFlight, entriesInFlight);
      Future<AppendResult> sent;
      try {
        sent = sender.apply(q.batch);
      } catch (RuntimeException e) {
        sent = Future.failedFuture(e);
      }
      sent.onComplete(
          ar -> {
            unackedBatches--;
            entriesInFlight -= size;
            if (ar.succeeded()) {
              ackedBatches++;
            } else {
              failedBatches++;
            }
            q.promise.handle(ar);
            dispatch();
            notifyRoom();
          });
    }
  }

  private void notifyRoom() {
    if (hasRoom()) {
      for (Runnable r : List.copyOf(roomListeners)) {
        r.run();
      }
    }
  }

  /** Fails every queued (unsent) batch; batches already sent still complete normally. */
  public void close() {
    closed = true;
    while (!queue.isEmpty()) {
      queue.removeFirst().promise.tryFail(new IllegalStateException("listener window closed"));
    }
    roomListeners.clear();
  }

  /** The window's health: limits, what is in flight, and the acked/failed counts. */
  public JsonObject toJson() {
    return new JsonObject()
        .put("max_batches", maxBatches)
        .put("unacked_batches", unackedBatches)
        .put("queued_batches", queue.size())
        .put("entries_in_flight", entriesInFlight)
        .put("max_entries_in_flight", maxEntriesInFlight)
        .put("acked_batches", ackedBatches)
        .put("failed_batches", failedBatches);
  }

  public int maxBatches() {
    return maxBatches;
  }

  public int unackedBatches() {
    return unackedBatches;
  }

  public int queuedBatches() {
    return queue.size();
  }

  public long entriesInFlight() {
    return entriesInFlight;
  }

  public long maxEntriesInFlight() {
    return maxEntriesInFlight;
  }

  public long ackedBatches() {
    return ackedBatches;
  }

  public long failedBatches() {
    return failedBatches;
  }
}
