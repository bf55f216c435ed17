package io.emcachers.mongo;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * One server-side cursor read page by page with reactive-streams demand: {@link #next(int)}
 * requests exactly that many documents and completes (on the given context) when they arrived or
 * the cursor ended; nothing more is requested until the next call, so a slow consumer holds at most
 * one page. One call at a time. A short page (fewer than asked) means the cursor is exhausted.
 */
public final class PagedCursor<T> {

  private final Context context;
  private Subscription subscription;
  private List<T> page = new ArrayList<>();
  private int wanted;
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
              } else if (wanted > 0) {
                s.request(wanted);
              }
            }
          }

          @Override
          public void onNext(T item) {
            synchronized (PagedCursor.this) {
              page.add(item);
              if (page.size() >= wanted) {
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
    if (failure != null) {
      return Future.failedFuture(failure);
    }
    if (completed || closed) {
      return Future.succeededFuture(List.of());
    }
    pending = Promise.promise();
    wanted = n;
    page = new ArrayList<>(n);
    Future<List<T>> f = pending.future();
    if (subscription != null) {
      subscription.request(n);
    }
    return f;
  }

  /** Cancels the server-side cursor. */
  public synchronized void close() {
    closed = true;
    if (subscription != null) {
      subscription.cancel();
    }
    if (pending != null) {
      Promise<List<T>> p = pending;
      pending = null;
      context.runOnContext(v -> p.tryFail("cursor closed"));
    }
  }

  private void deliver() {
    if (pending == null) {
      return;
    }
    Promise<List<T>> p = pending;
    pending = null;
    wanted = 0;
    if (failure != null) {
      Throwable t = failure;
      context.runOnContext(v -> p.tryFail(t));
    } else {
      List<T> result = List.copyOf(page);
      page = new ArrayList<>();
      context.runOnContext(v -> p.tryComplete(result));
    }
  }
}
