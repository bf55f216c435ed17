package io.emcachers.api.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Codecs;
import io.emcachers.core.bus.ConsumerGroup;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.client.CacheClient;
import io.emcachers.core.cluster.ClusterView;
import io.emcachers.core.cluster.MembershipConfig;
import io.emcachers.core.messages.CacheRowsReply;
import io.emcachers.core.messages.NodeHeartbeat;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Reads pick a serving holder from the heartbeats and fall over to the next one when a holder does
 * not answer, on a real event bus with real consumers standing in for the nodes' read addresses.
 */
class HolderReadsTest {

  Vertx vertx;
  Context context;
  ClusterView view;
  HolderReads reads;
  CacheClient client;
  final AtomicInteger deadAsked = new AtomicInteger();

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    Codecs.registerAll(vertx.eventBus());
    context = vertx.getOrCreateContext();
    ConsumerGroup consumers = new ConsumerGroup(vertx);
    on(
        () -> {
          view =
              new ClusterView(vertx, new MembershipConfig(100, 5000, 60_000, 300))
                  .listen(consumers);
          reads = new HolderReads(view, "api-node", 300);
          return null;
        });
    consumers.ready().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    client = new CacheClient(vertx.eventBus());
    // "dead" has its read address but never answers (a frozen or killed node)
    vertx
        .eventBus()
        .consumer(Addresses.cacheQueryFor("users", "dead"), m -> deadAsked.incrementAndGet())
        .completion()
        .toCompletionStage()
        .toCompletableFuture()
        .get(5, TimeUnit.SECONDS);
    vertx
        .eventBus()
        .consumer(
            Addresses.cacheQueryFor("users", "alive"),
            m ->
                m.reply(
                    new CacheRowsReply(
                        List.of(new JsonObject().put("from", "alive")), null, false)))
        .completion()
        .toCompletionStage()
        .toCompletableFuture()
        .get(5, TimeUnit.SECONDS);
    vertx
        .eventBus()
        .consumer(
            Addresses.cacheQueryFor("orders", "alive"),
            m -> m.fail(ErrorCodes.BAD_REQUEST, "no such column: nope"))
        .completion()
        .toCompletionStage()
        .toCompletableFuture()
        .get(5, TimeUnit.SECONDS);
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  <T> T on(Supplier<T> work) throws Exception {
    CompletableFuture<T> f = new CompletableFuture<>();
    context.runOnContext(v -> f.complete(work.get()));
    return f.get(5, TimeUnit.SECONDS);
  }

  <T> T result(Supplier<Future<T>> work) throws Exception {
    CompletableFuture<T> f = new CompletableFuture<>();
    context.runOnContext(
        v ->
            work.get()
                .onComplete(
                    ar -> {
                      if (ar.succeeded()) {
                        f.complete(ar.result());
                      } else {
                        f.completeExceptionally(ar.cause());
                      }
                    }));
    return f.get(10, TimeUnit.SECONDS);
  }

  void serving(String node, List<String> entities) {
    vertx
        .eventBus()
        .publish(
            Addresses.CLUSTER_HEARTBEAT,
            new NodeHeartbeat(
                node, List.of("replicator"), Instant.EPOCH, 1, entities, entities, null, null));
  }

  Future<CacheRowsReply> page(String entity) {
    return reads.read(entity, client, 5000, (c, t) -> c.page(entity, null, 10, t));
  }

  @Test
  void aHolderThatDoesNotAnswerIsSkippedAndTheNextOneAnswers() throws Exception {
    serving("dead", List.of("users"));
    serving("alive", List.of("users"));
    await().atMost(Duration.ofSeconds(5)).until(() -> on(() -> view.serving("users")).size() == 2);
    for (int i = 0; i < 4; i++) {
      CacheRowsReply r = result(() -> page("users"));
      assertEquals("alive", r.rows().get(0).getString("from"));
    }
    // asked once, then skipped as suspect for stale_after_ms
    assertEquals(1, deadAsked.get());
  }

  @Test
  void aReadThatIsWrongIsNotRetriedElsewhere() throws Exception {
    serving("alive", List.of("orders"));
    await().atMost(Duration.ofSeconds(5)).until(() -> !on(() -> view.serving("orders")).isEmpty());
    ExecutionException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            ExecutionException.class, () -> result(() -> page("orders")));
    ReplyException re = assertInstanceOf(ReplyException.class, e.getCause());
    assertEquals(ErrorCodes.BAD_REQUEST, re.failureCode());
  }

  @Test
  void withoutHeartbeatsTheEntityWideAddressIsUsed() throws Exception {
    vertx
        .eventBus()
        .consumer(
            Addresses.cacheQueryFor("items"),
            m ->
                m.reply(
                    new CacheRowsReply(List.of(new JsonObject().put("from", "any")), null, false)))
        .completion()
        .toCompletionStage()
        .toCompletableFuture()
        .get(5, TimeUnit.SECONDS);
    assertEquals("any", result(() -> page("items")).rows().get(0).getString("from"));
  }

  @Test
  void theLocalNodeIsAskedFirstWhenItServes() throws Exception {
    AtomicInteger local = new AtomicInteger();
    vertx
        .eventBus()
        .consumer(
            Addresses.cacheQueryFor("users", "api-node"),
            m -> {
              local.incrementAndGet();
              m.reply(
                  new CacheRowsReply(List.of(new JsonObject().put("from", "local")), null, false));
            })
        .completion()
        .toCompletionStage()
        .toCompletableFuture()
        .get(5, TimeUnit.SECONDS);
    serving("alive", List.of("users"));
    serving("api-node", List.of("users"));
    await().atMost(Duration.ofSeconds(5)).until(() -> on(() -> view.serving("users")).size() == 2);
    for (int i = 0; i < 3; i++) {
      assertEquals("local", result(() -> page("users")).rows().get(0).getString("from"));
    }
    assertEquals(3, local.get());
  }
}
