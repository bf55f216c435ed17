package io.emcachers.core.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.devservices.LocalCluster;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Sends every message type between two Hazelcast-clustered Vert.x nodes and checks it arrives intact. */
class CodecsClusterTest {

  static Vertx nodeA;
  static Vertx nodeB;

  @BeforeAll
  static void startCluster() throws Exception {
    String cluster = "emc-codecs-" + UUID.randomUUID();
    nodeA = LocalCluster.startNode(cluster, 15701).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    nodeB = LocalCluster.startNode(cluster, 15701).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    Codecs.registerAll(nodeA.eventBus());
    Codecs.registerAll(nodeB.eventBus());
    Codecs.registerAll(nodeB.eventBus()); // a repeated call is a no-op, not a duplicate-codec error
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (nodeA != null) {
      nodeA.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    if (nodeB != null) {
      nodeB.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void samplesCoverEveryRegisteredCodec() {
    Set<Class<?>> sampled = SampleMessages.all().stream().map(Object::getClass).collect(Collectors.toSet());
    Set<Class<?>> registered = Codecs.ALL.stream().map(JsonMessageCodec::type).collect(Collectors.toSet());
    assertEquals(registered, sampled, "every codec needs a sample in SampleMessages");
  }

  @Test
  void everyMessageCrossesTheClusterBothWays() throws Exception {
    String address = "test.echo." + UUID.randomUUID();
    List<Object> received = new ArrayList<>();
    // The consumer lives on node B only; the reply travels back B → A through the same codec.
    nodeB.eventBus().consumer(address, m -> {
      synchronized (received) {
        received.add(m.body());
      }
      m.reply(m.body());
    }).completion().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

    List<BusMessage> samples = SampleMessages.all();
    List<Future<Object>> replies = new ArrayList<>();
    for (BusMessage sample : samples) {
      replies.add(awaitConsumerThenRequest(address, sample));
    }
    for (int i = 0; i < samples.size(); i++) {
      Object reply = replies.get(i).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertEquals(samples.get(i), reply, "round trip of " + samples.get(i).getClass().getSimpleName());
      assertTrue(reply != samples.get(i), "a clustered reply is a decoded copy, not the same instance");
    }
    synchronized (received) {
      assertEquals(samples, received);
    }
  }

  @Test
  void failuresCarryTheirCodeAcrossTheCluster() throws Exception {
    String address = "test.fail." + UUID.randomUUID();
    nodeB.eventBus().consumer(address, m -> Bus.fail(m, BusException.notFound("no entity 'x'")))
        .completion().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    Future<Object> reply = awaitConsumerThenRequest(address, new EntityNameRequestHolder().value);
    Exception e = assertThrows(Exception.class, () -> reply.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
    ReplyException re = (ReplyException) e.getCause();
    assertEquals(ErrorCodes.NOT_FOUND, re.failureCode());
    assertEquals("no entity 'x'", re.getMessage());
  }

  /** Consumer registration propagates through the cluster asynchronously: retry NO_HANDLERS until a deadline. */
  private Future<Object> awaitConsumerThenRequest(String address, Object body) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    return attempt(address, body, deadline);
  }

  private Future<Object> attempt(String address, Object body, long deadline) {
    return nodeA.eventBus().request(address, body).map(m -> (Object) m.body()).recover(err -> {
      if (err instanceof ReplyException re && re.failureType() == io.vertx.core.eventbus.ReplyFailure.NO_HANDLERS && System.nanoTime() < deadline) {
        return nodeA.timer(100).compose(t -> attempt(address, body, deadline));
      }
      return Future.failedFuture(err);
    });
  }

  private static final class EntityNameRequestHolder {
    final Object value = new io.emcachers.core.messages.EntityNameRequest("x");
  }
}
