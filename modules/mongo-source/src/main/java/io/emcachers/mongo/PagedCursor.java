package io.emcachers.mongo;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * One server-side cursor read page by page with reactive-streams demand, one page ahead: {@link
 * #next(int)} completes (on the given context) with the next {@code n} documents once they arrived
 * or the cursor ended, and keeps the demand at one more page, so the driver asks the server for the
 * next batch while the consumer works on this one instead of after it asks again; a slow consumer
 * holds at most two pages. One call at a time. A short page (fewer than asked) means the cursor is
 * exhausted.
 */
public final class PagedCursor<T> {

  private final Context context;
  private Subscription subscription;
  private final ArrayDeque<T> buffer = new ArrayDeque<>();
  private int wanted;

  /** Documents requested from the subscription so far, and handed to the consumer so far. */
  private long requested;

  private long taken;

  private Promise<List<T>> pending;
  private Throwable failure;
  private boolean completed;
  private boolean closed;

  PagedCursor(Context context, Publisher<T> publisher) {
    this.context = context;
    publisher.subscribe(
        new Subscriber<T>() {
          @Override
          public void onSubscribe(Subscription s) {
            synchronized (PagedCursor.this) {
              subscription = s;
              if (closed) {
                s.cancel();
              } else if (requested > 0) {
                s.request(requested);
              }
            }
          }

          @Override
          public void onNext(T item) {
            synchronized (PagedCursor.this) {
              buffer.add(item);
              if (pending != null && buffer.size() >= wanted) {
                deliver();
              }
            }
          }

          @Override
          public void onError(Throwable t) {
            synchronized (PagedCursor.this) {
              failure = t;
              deliver();
            }
          }

          @Override
          public void onComplete() {
            synchronized (PagedCursor.this) {
              completed = true;
              deliver();
            }
          }
        });
  }

  /** The next up to {@code n} documents; an empty or short list at the end of the cursor. */
  public synchronized Future<List<T>> next(int n) {
    if (pending != null) {
      return Future.failedFuture(new IllegalStateException("a page is already being read"));
    }
    if (closed) {
      return Future.succeededFuture(List.of());
    }
    pending = Promise.promise();
    wanted = n;
    Future<List<T>> f = pending.future();
    long goal = taken + 2L * n; // this page and the one after it
    if (!completed && failure == null && goal > requested) {
      long more = goal - requested;
      requested = goal;
      if (subscription != null) {
        subscription.request(more);
      }
    }
    if (buffer.size() >= n || completed || failure != null) {
      deliver();
    }
    return f;
  }

  /** Cancels the server-side cursor. */
  public synchronized void close() {
    closed = true;
    buffer.clear();
    if (subscription != null) {
      subscription.cancel();
    }
    if (pending != null) {
      Promise<List<T>> p = pending;
      pending = null;
      context.runOnContext(v -> p.tryFail("cursor closed"));
    }
  }

  /**
   * Completes the pending call: a page from the buffer, or the failure; a failed cursor never hands
   * out what it buffered, since a short page would read as its end.
   */
  private void deliver() {
    if (pending == null) {
      return;
    }
    Promise<List<T>> p = pending;
    if (failure != null) {
      buffer.clear();
      pending = null;
      Throwable t = failure;
      context.runOnContext(v -> p.tryFail(t));
      return;
    }
    if (buffer.size() < wanted && !completed) {
      return;
    }
    pending = null;
    List<T> result = new ArrayList<>(Math.min(wanted, buffer.size()));
    while (result.size() < wanted && !buffer.isEmpty()) {
      result.add(buffer.poll());
    }
    taken += result.size();
    List<T> page = Collections.unmodifiableList(result);
    context.runOnContext(v -> p.tryComplete(page));
  }
}
