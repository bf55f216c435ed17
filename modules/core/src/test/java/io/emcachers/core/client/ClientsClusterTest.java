package io.emcachers.core.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.Codecs;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.EntityNameRequest;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.devservices.LocalCluster;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The typed clients between two Hazelcast-clustered nodes: replies cross the cluster; leaderLocal
 * never leaves its node.
 */
class ClientsClusterTest {

  static Vertx nodeA;
  static Vertx nodeB;

  @BeforeAll
  static void startCluster() throws Exception {
    String cluster = "emc-clients-" + UUID.randomUUID();
    nodeA =
        LocalCluster.startNode(cluster, 15751)
            .toCompletionStage()
            .toCompletableFuture()
            .get(60, TimeUnit.SECONDS);
    nodeB =
        LocalCluster.startNode(cluster, 15751)
            .toCompletionStage()
            .toCompletableFuture()
            .get(60, TimeUnit.SECONDS);
    Codecs.registerAll(nodeA.eventBus());
    Codecs.registerAll(nodeB.eventBus());
  }

  @AfterAll
  static void stopCluster() throws Exception {
    for (Vertx v : new Vertx[] {nodeA, nodeB}) {
      if (v != null) {
        v.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * Consumer registrations reach the other node asynchronously: retry NO_HANDLERS until a deadline.
   */
  private static <T> T untilRegistered(Supplier<Future<T>> call) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        return call.get().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof ReplyException re
                && re.failureType() == ReplyFailure.NO_HANDLERS)
            || System.nanoTime() > deadline) {
          throw e;
        }
        nodeA.timer(100).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void repliesCrossTheClusterAndLeaderLocalStaysOnItsNode() throws Exception {
    nodeB
        .eventBus()
        .<Object>consumer(
            Addresses.OPLOG_LEADER_LOCAL,
            m ->
                Bus.handle(
                    m,
                    HealthRequest.class,
                    r -> Future.succeededFuture(new HealthReply("oplog", true, "leader", null))))
        .completion()
        .toCompletionStage()
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    nodeB
        .eventBus()
        .<Object>consumer(
            Addresses.ENTITIES_GET,
            m ->
                Bus.handle(
                    m,
                    EntityNameRequest.class,
                    r ->
                        Future.failedFuture(
                            io.emcachers.core.bus.BusException.notFound(
                                "unknown entity: " + r.name()))))
        .completion()
        .toCompletionStage()
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    nodeB
        .eventBus()
        .<Object>consumer(
            Addresses.OPLOG_APPEND,
            m ->
                Bus.handle(
                    m,
                    AppendBatch.class,
                    b ->
                        Future.succeededFuture(
                            new AppendResult(
                                b.entries().size(),
                                0,
                                0,
                                0,
                                b.kind(),
                                b.resumeToken(),
                                new JsonArray(),
                                0))))
        .completion()
        .toCompletionStage()
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);

    OplogClient oplog = new OplogClient(nodeA.eventBus());
    AppendResult stream =
        untilRegistered(
            () ->
                oplog.append(
                    AppendBatch.stream("s", new JsonObject().put("t", 1), List.of()), 10_000));
    assertEquals("stream", stream.stream());
    assertEquals(new JsonObject().put("t", 1), stream.resumeToken());
    assertEquals(
        "scan",
        untilRegistered(
            () ->
                oplog.append(AppendBatch.scan("users", 2, new JsonObject().put("v", 1), List.of())))
            .stream());

    // a failure keeps its code across the cluster
    ExecutionException notFound =
        assertThrows(
            ExecutionException.class,
            () -> untilRegistered(() -> new EntitiesClient(nodeA.eventBus()).get("ghost")));
    assertEquals(404, ((ReplyException) notFound.getCause()).failureCode());

    // node A's request reaches B's leader consumer when it may leave the node...
    untilRegistered(
        () ->
            Bus.request(
                nodeA.eventBus(),
                Addresses.OPLOG_LEADER_LOCAL,
                new HealthRequest(),
                HealthReply.class));
    // ...but leaderLocal asks only its own node, which has no oplog verticle
    ExecutionException e =
        assertThrows(
            ExecutionException.class,
            () ->
                oplog
                    .leaderLocal(5_000)
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS));
    assertEquals(
        ReplyFailure.NO_HANDLERS,
        assertInstanceOf(ReplyException.class, e.getCause()).failureType());
    assertEquals(
        "leader",
        new OplogClient(nodeB.eventBus())
            .leaderLocal(5_000)
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS)
            .state());
  }
}
