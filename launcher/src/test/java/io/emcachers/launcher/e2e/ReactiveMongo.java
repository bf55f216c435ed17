package io.emcachers.launcher.e2e;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * Blocking use of the MongoDB reactive-streams driver (the driver already on the classpath through
 * vertx-mongo-client) with {@code BsonDocument}s, so tests read and write exact BSON types.
 */
final class ReactiveMongo {

  static final Duration TIMEOUT = Duration.ofSeconds(30);

  private ReactiveMongo() {}

  /** Every element the publisher emits, waiting at most {@link #TIMEOUT}. */
  static <T> List<T> all(Publisher<T> publisher) {
    CompletableFuture<List<T>> done = new CompletableFuture<>();
    List<T> out = Collections.synchronizedList(new ArrayList<>());
    publisher.subscribe(
        new Subscriber<T>() {
          @Override
          public void onSubscribe(Subscription s) {
            s.request(Long.MAX_VALUE);
          }

          @Override
          public void onNext(T t) {
            out.add(t);
          }

          @Override
          public void onError(Throwable t) {
            done.completeExceptionally(t);
          }

          @Override
          public void onComplete() {
            done.complete(out);
          }
        });
    try {
      return new ArrayList<>(done.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("MongoDB operation did not finish within " + TIMEOUT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * The single result of an operation publisher (insertOne, updateOne, ...), null when it emits
   * none.
   */
  static <T> T one(Publisher<T> publisher) {
    List<T> out = all(publisher);
    return out.isEmpty() ? null : out.get(0);
  }
}
