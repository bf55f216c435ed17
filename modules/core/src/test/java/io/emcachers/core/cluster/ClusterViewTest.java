package io.emcachers.core.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Codecs;
import io.emcachers.core.bus.ConsumerGroup;
import io.emcachers.core.messages.NodeHeartbeat;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The view follows the heartbeats published on a real event bus. */
class ClusterViewTest {

  static final MembershipConfig FAST = new MembershipConfig(100, 400, 1500, 1000);
  Vertx vertx;
  Context context;
  ClusterView view;
  final AtomicInteger changes = new AtomicInteger();

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    Codecs.registerAll(vertx.eventBus());
    context = vertx.getOrCreateContext();
    ConsumerGroup consumers = new ConsumerGroup(vertx);
    on(
        () -> {
          view = new ClusterView(vertx, FAST).listen(consumers);
          view.onChange(changes::incrementAndGet);
          return null;
        });
    consumers.ready().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
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

  void beat(String node, List<String> roles, List<String> serving) {
    vertx
        .eventBus()
        .publish(
            Addresses.CLUSTER_HEARTBEAT,
            new NodeHeartbeat(node, roles, Instant.EPOCH, 1, serving, serving, null, null));
  }

  @Test
  void liveNodesAreListedByRoleAndWhatTheyServe() throws Exception {
    beat("b", List.of("replicator"), List.of("users"));
    beat("a", List.of("replicator", "api"), List.of("users", "orders"));
    beat("c", List.of("oplog"), List.of());
    await().atMost(Duration.ofSeconds(5)).until(() -> on(() -> view.members().size()) == 3);
    assertEquals(List.of("a", "b"), on(() -> view.live("replicator")));
    assertEquals(List.of("a", "b"), on(() -> view.serving("users")));
    assertEquals(List.of("a"), on(() -> view.serving("orders")));
    assertEquals(List.of("a"), on(() -> view.holding("orders")));
    assertTrue(changes.get() >= 3, "a new node is a change");
  }

  @Test
  void aSilentNodeTurnsStaleStaysListedThenIsForgotten() throws Exception {
    beat("gone", List.of("replicator"), List.of("users"));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> on(() -> view.live("replicator")).size() == 1);
    int before = changes.get();
    await().atMost(Duration.ofSeconds(5)).until(() -> on(() -> view.members().get(0).stale()));
    assertTrue(changes.get() > before, "turning stale is a change");
    assertEquals(List.of(), on(() -> view.live("replicator")));
    assertEquals(List.of(), on(() -> view.serving("users")));
    assertEquals(1, on(() -> view.members().size()), "a stale node stays listed");
    assertTrue(on(() -> view.toJson().getJsonObject(0).getBoolean("stale")));
    await().atMost(Duration.ofSeconds(5)).until(() -> on(() -> view.members().isEmpty()));
  }

  @Test
  void aStaleNodeThatBeatsAgainIsLiveAgain() throws Exception {
    beat("n", List.of("replicator"), List.of());
    await().atMost(Duration.ofSeconds(5)).until(() -> !on(() -> view.members()).isEmpty());
    await().atMost(Duration.ofSeconds(5)).until(() -> on(() -> view.members().get(0).stale()));
    beat("n", List.of("replicator"), List.of());
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> on(() -> view.live("replicator")).equals(List.of("n")));
    assertFalse(on(() -> view.members().get(0).stale()));
  }

  @Test
  void theViewSettlesAfterTwoAndAHalfHeartbeats() throws Exception {
    await().atMost(Duration.ofSeconds(5)).until(() -> on(() -> view.settled()));
    assertEquals(250, FAST.settleMs());
  }

  @Test
  void membershipConfigRefusesAStaleTimeoutShorterThanTwoHeartbeats() {
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () ->
                MembershipConfig.fromJson(
                    new io.vertx.core.json.JsonObject()
                        .put(
                            "cluster",
                            new io.vertx.core.json.JsonObject()
                                .put("heartbeat_ms", 1000)
                                .put("stale_after_ms", 1500))));
    assertTrue(e.getMessage().contains("cluster.stale_after_ms"), e.getMessage());
  }
}
