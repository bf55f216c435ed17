package io.emcachers.mongo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * The cursor's demand contract: one page ahead, never more, pages in order, a short page only at
 * the end, and a failure never handed out as a short page. The source is a publisher of numbers
 * that records the demand it was given (the driver's part is covered by every scan test against the
 * wire-protocol server).
 */
class PagedCursorTest {

  static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close();
  }

  /** Emits 0..size-1 as demanded, on the caller's thread; fails after {@code failAfter} items. */
  static final class Numbers implements Publisher<Integer> {
    final int size;
    final int failAfter;
    long demanded;
    int emitted;
    Subscriber<? super Integer> subscriber;

    Numbers(int size, int failAfter) {
      this.size = size;
      this.failAfter = failAfter;
    }

    @Override
    public void subscribe(Subscriber<? super Integer> s) {
      subscriber = s;
      s.onSubscribe(
          new Subscription() {
            @Override
            public void request(long n) {
              demanded += n;
            }

            @Override
            public void cancel() {}
          });
    }

    /** Sends what was demanded and not yet sent, or the end / the failure when it is due. */
    void flush() {
      while (emitted < demanded && emitted < size && emitted < failAfter) {
        subscriber.onNext(emitted++);
      }
      if (emitted == failAfter) {
        emitted++;
        subscriber.onError(new IllegalStateException("source failed"));
      } else if (emitted == size) {
        emitted++;
        subscriber.onComplete();
      }
    }
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void demandStaysOnePageAheadAndPagesComeInOrder() throws Exception {
    Numbers source = new Numbers(25, Integer.MAX_VALUE);
    PagedCursor<Integer> cursor = new PagedCursor<>(vertx.getOrCreateContext(), source);
    Future<List<Integer>> first = cursor.next(10);
    assertEquals(20, source.demanded, "this page and the next one");
    source.flush();
    assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), await(first));
    assertEquals(20, source.demanded, "no more than one page ahead while the consumer works");
    List<Integer> second = await(cursor.next(10)); // already buffered
    assertEquals(List.of(10, 11, 12, 13, 14, 15, 16, 17, 18, 19), second);
    assertEquals(30, source.demanded);
    Future<List<Integer>> third = cursor.next(10);
    source.flush();
    assertEquals(List.of(20, 21, 22, 23, 24), await(third), "a short page: the end");
    assertEquals(List.of(), await(cursor.next(10)));
    cursor.close();
  }

  @Test
  void aFailureIsNeverHandedOutAsAShortPage() throws Exception {
    Numbers source = new Numbers(100, 15);
    PagedCursor<Integer> cursor = new PagedCursor<>(vertx.getOrCreateContext(), source);
    Future<List<Integer>> first = cursor.next(10);
    source.flush(); // 0..9 make the first page; 10..14 are buffered when the failure comes
    assertEquals(10, await(first).size());
    ExecutionException failed =
        assertThrows(ExecutionException.class, () -> await(cursor.next(10)));
    assertTrue(failed.getCause().getMessage().contains("source failed"), failed::toString);
    cursor.close();
  }
}
