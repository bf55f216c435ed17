package io.emcachers.listener.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.emcachers.core.client.OplogClient;
import io.emcachers.listener.ListenerConfig;
import io.emcachers.listener.flow.BatchWindow;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The stream set's bookkeeping: one stream per name, whatever order the session's parts ask. */
class StreamSetTest {

  static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    io.emcachers.core.bus.Codecs.registerAll(vertx.eventBus());
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  /**
   * An entity created while the session starts: its change event opens the stream before the
   * session's start lists the entity; the start must keep that stream, not open a second one of the
   * same name (both would send batches following the same stored token).
   */
  @Test
  void aStreamOpenedByAnEntityChangeBeforeTheStartIsNotOpenedTwice() throws Exception {
    AtomicInteger opens = new AtomicInteger();
    ChangeSource source =
        (collection, dbCollections, resumeAfter, batchSize) -> {
          opens.incrementAndGet();
          return Promise.<ChangeSource.Opened>promise().future(); // stays opening
        };
    ListenerConfig config = ListenerConfig.fromJson(new JsonObject());
    StreamHooks hooks =
        new StreamHooks(
            e -> List.of(),
            (stream, collection, cause) -> {},
            new StreamHooks.Observer() {
              @Override
              public void failed(String stream, Throwable cause) {}

              @Override
              public void acked(
                  String stream,
                  String collection,
                  io.emcachers.core.messages.AppendBatch batch,
                  io.emcachers.core.messages.AppendResult result) {}
            },
            cause -> {});
    java.util.concurrent.CompletableFuture<int[]> result =
        new java.util.concurrent.CompletableFuture<>();
    vertx.runOnContext(
        v -> {
          try {
            StreamSet set =
                new StreamSet(
                    vertx,
                    config,
                    Clock.systemUTC(),
                    source,
                    new BatchWindow(4, b -> Future.failedFuture("unused")),
                    hooks,
                    new OplogClient(vertx.eventBus()));
            // the entity change: a stream created while running reads its committed token first
            // (no oplog verticle answers here, so it never reaches the source)
            set.reconcile(List.of("c"));
            int beforeStart = opens.get();
            // the session's start lists the same collection
            set.open(List.of("c"), name -> null);
            result.complete(new int[] {beforeStart, set.toJson().size()});
            set.stop();
          } catch (RuntimeException e) {
            result.completeExceptionally(e);
          }
        });
    int[] created = result.get(10, java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(0, created[0], "the reconciled stream waits for its committed token");
    assertEquals(1, created[1], "one stream for collection c");
    assertEquals(0, opens.get(), "the start did not open a second stream of the same name");
  }
}
