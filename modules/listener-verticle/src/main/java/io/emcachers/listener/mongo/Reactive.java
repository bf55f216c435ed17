package io.emcachers.listener.mongo;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/** Reactive-streams publishers of the MongoDB driver as Vert.x futures completed on a given context. */
final class Reactive {

  private Reactive() {}

  /** The first item (or null when the publisher completes empty). */
  static <T> Future<T> first(Context context, Publisher<T> publisher) {
    return collect(context, publisher, 1).map(list -> list.isEmpty() ? null : list.get(0));
  }

  /** Up to {@code max} items; requests exactly that many, then cancels. */
  static <T> Future<List<T>> collect(Context context, Publisher<T> publisher, int max) {
    Promise<List<T>> promise = Promise.promise();
    publisher.subscribe(new Subscriber<T>() {
      private final List<T> items = new ArrayList<>();
      private Subscription subscription;
      private boolean done;

      @Override
      public void onSubscribe(Subscription s) {
        subscription = s;
        s.request(max);
      }

      @Override
      public void onNext(T item) {
        boolean finish;
        synchronized (this) {
          if (done) {
            return;
          }
          items.add(item);
          finish = items.size() >= max;
          if (finish) {
            done = true;
          }
        }
        if (finish) {
          subscription.cancel();
          List<T> result = List.copyOf(items);
          context.runOnContext(v -> promise.tryComplete(result));
        }
      }

      @Override
      public void onError(Throwable t) {
        synchronized (this) {
          if (done) {
            return;
          }
          done = true;
        }
        context.runOnContext(v -> promise.tryFail(t));
      }

      @Override
      public void onComplete() {
        List<T> result;
        synchronized (this) {
          if (done) {
            return;
          }
          done = true;
          result = List.copyOf(items);
        }
        context.runOnContext(v -> promise.tryComplete(result));
      }
    });
    return promise.future();
  }
}
