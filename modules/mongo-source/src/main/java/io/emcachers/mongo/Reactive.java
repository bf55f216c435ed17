package io.emcachers.mongo;

import io.vertx.core.Context;
import io.vertx.core.Future;
import org.reactivestreams.Publisher;

/**
 * Reactive-streams publishers of the MongoDB driver as Vert.x futures completed on a given context.
 */
final class Reactive {

  private Reactive() {}

  /** The first item (or null when the publisher completes empty); the rest is cancelled. */
  static <T> Future<T> first(Context context, Publisher<T> publisher) {
    PagedCursor<T> cursor = new PagedCursor<>(context, publisher);
    return cursor
        .next(1)
        .map(list -> list.isEmpty() ? null : list.get(0))
        .onComplete(ar -> cursor.close());
  }
}
