package io.emcachers.core.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.devservices.LocalCluster;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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

/**
 * Sends every message type between two Hazelcast-clustered Vert.x nodes and checks it arrives
 * intact.
 */
class CodecsClusterTest {

  static Vertx nodeA;
  static Vertx nodeB;

  @BeforeAll
  static void startCluster() throws Exception {
    String cluster = "emc-codecs-" + UUID.randomUUID();
    nodeA =
        LocalCluster.startNode(cluster, 15701)
            .toCompletionStage()
            .toCompletableFuture()
            .get(60, TimeUnit.SECONDS);
    nodeB =
        LocalCluster.startNode(cluster, 15701)
            .toCompletionStage()
            .toCompletableFuture()
            .get(60, TimeUnit.SECONDS);
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
    Set<Class<?>> sampled =
        SampleMessages.all().stream().map(Object::getClass).collect(Collectors.toSet());
    Set<Class<?>> registered =
        Codecs.ALL.stream().map(JsonMessageCodec::type).collect(Collectors.toSet());
    assertEquals(registered, sampled, "every codec needs a sample in SampleMessages");
  }

  @Test
  void everyMessageCrossesTheClusterBothWays() throws Exception {
    String address = "test.echo." + UUID.randomUUID();
    List<Object> received = new ArrayList<>();
    // The consumer lives on node B only; the reply travels back B → A through the same codec.
    nodeB
        .eventBus()
        .consumer(
            address,
            m -> {
              synchronized (received) {
                received.add(m.body());
              }
              m.reply(m.body());
            })
        .completion()
        .toCompletionStage()
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);

    List<BusMessage> samples = SampleMessages.all();
    List<Future<Object>> replies = new ArrayList<>();
    for (BusMessage sample : samples) {
      replies.add(awaitConsumerThenRequest(address, sample));
    }
    for (int i = 0; i < samples.size(); i++) {
      Object reply =
          replies.get(i).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertEquals(
          samples.get(i), reply, "round trip of " + samples.get(i).getClass().getSimpleName());
      assertTrue(
          reply != samples.get(i), "a clustered reply is a decoded copy, not the same instance");
    }
    synchronized (received) {
      assertEquals(samples, received);
    }
  }

  @Test
  void failuresCarryTheirCodeAcrossTheCluster() throws Exception {
    String address = "test.fail." + UUID.randomUUID();
    nodeB
        .eventBus()
        .consumer(address, m -> Bus.fail(m, BusException.notFound("no entity 'x'")))
        .completion()
        .toCompletionStage()
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    Future<Object> reply = awaitConsumerThenRequest(address, new EntityNameRequestHolder().value);
    Exception e =
        assertThrows(
            Exception.class,
            () -> reply.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
    ReplyException re = (ReplyException) e.getCause();
    assertEquals(ErrorCodes.NOT_FOUND, re.failureCode());
    assertEquals("no entity 'x'", re.getMessage());
  }

  @Test
  void bothAppendBatchRecordsCrossTheClusterThroughBusRequest() throws Exception {
    String address = "test.append." + UUID.randomUUID();
    // The receiver dispatches on the record type, as the oplog writer does.
    nodeB
        .eventBus()
        .<Object>consumer(
            address,
            m ->
                Bus.handle(
                    m,
                    AppendBatch.class,
                    b ->
                        Future.succeededFuture(
                            b instanceof AppendBatch.StreamBatch s
                                ? new AppendResult(
                                    1,
                                    1,
                                    s.entries().size(),
                                    0,
                                    s.stream(),
                                    s.resumeToken(),
                                    new JsonArray(),
                                    0)
                                : new AppendResult(
                                    2,
                                    2,
                                    b.entries().size(),
                                    0,
                                    ((AppendBatch.ScanBatch) b).entity(),
                                    ((AppendBatch.ScanBatch) b).lastId(),
                                    new JsonArray(),
                                    0))))
        .completion()
        .toCompletionStage()
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    awaitConsumerThenRequest(address, AppendBatch.stream("warm", null, List.of()))
        .toCompletionStage()
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);

    JsonObject token = new JsonObject().put("_data", "82");
    AppendResult stream =
        Bus.request(
                nodeA.eventBus(),
                address,
                AppendBatch.streamAfter("users", null, token, List.of(SampleMessages.ENTRY)),
                AppendResult.class)
            .toCompletionStage()
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
    assertEquals(1, stream.lastId());
    assertEquals("users", stream.stream());
    assertEquals(token, stream.resumeToken());
    JsonObject lastId = new JsonObject().put("v", 7);
    AppendResult scan =
        Bus.request(
                nodeA.eventBus(),
                address,
                AppendBatch.scan(
                    "users", 3, lastId, List.of(SampleMessages.ENTRY, SampleMessages.ENTRY)),
                AppendResult.class)
            .toCompletionStage()
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
    assertEquals(2, scan.lastId());
    assertEquals(2, scan.appended());
    assertEquals(lastId, scan.resumeToken());
  }

  @Test
  void aBodyTheReceiversCodecRefusesFailsBadRequestInsteadOfTimingOut() throws Exception {
    String address = "test.undecodable." + UUID.randomUUID();
    nodeA.eventBus().registerCodec(new BrokenCodec(false));
    nodeB.eventBus().registerCodec(new BrokenCodec(true));
    try {
      nodeB
          .eventBus()
          .<Object>consumer(address, m -> Bus.handle(m, Object.class, Future::succeededFuture))
          .completion()
          .toCompletionStage()
          .toCompletableFuture()
          .get(30, TimeUnit.SECONDS);
      Future<Object> reply =
          awaitConsumerThenRequest(
              address,
              "never decoded",
              new DeliveryOptions().setCodecName(BrokenCodec.NAME).setSendTimeout(20_000));
      Exception e =
          assertThrows(
              Exception.class,
              () -> reply.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
      ReplyException re = (ReplyException) e.getCause();
      assertEquals(ErrorCodes.BAD_REQUEST, re.failureCode());
      assertEquals(
          "invalid append batch: kind must be stream or scan, got 'bulk'", re.getMessage());
    } finally {
      nodeA.eventBus().unregisterCodec(BrokenCodec.NAME);
      nodeB.eventBus().unregisterCodec(BrokenCodec.NAME);
    }
  }

  /**
   * Writes a string; on the receiving side decodes it as an append batch of an unknown kind, which
   * throws.
   */
  private record BrokenCodec(boolean receiver) implements MessageCodec<String, Object> {
    static final String NAME = "emc.test.broken";

    @Override
    public void encodeToWire(Buffer buffer, String s) {
      Buffer b = Buffer.buffer(s);
      buffer.appendInt(b.length()).appendBuffer(b);
    }

    @Override
    public Object decodeFromWire(int pos, Buffer buffer) {
      if (receiver) {
        return AppendBatch.fromJson(new JsonObject().put("kind", "bulk"));
      }
      throw new IllegalStateException("the sender never decodes");
    }

    @Override
    public Object transform(String s) {
      return s;
    }

    @Override
    public String name() {
      return NAME;
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }

  /**
   * Consumer registration propagates through the cluster asynchronously: retry NO_HANDLERS until a
   * deadline.
   */
  private Future<Object> awaitConsumerThenRequest(String address, Object body) {
    return awaitConsumerThenRequest(address, body, new DeliveryOptions());
  }

  private Future<Object> awaitConsumerThenRequest(
      String address, Object body, DeliveryOptions options) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    return attempt(address, body, options, deadline);
  }

  private Future<Object> attempt(
      String address, Object body, DeliveryOptions options, long deadline) {
    return nodeA
        .eventBus()
        .request(address, body, options)
        .map(m -> (Object) m.body())
        .recover(
            err -> {
              if (err instanceof ReplyException re
                  && re.failureType() == io.vertx.core.eventbus.ReplyFailure.NO_HANDLERS
                  && System.nanoTime() < deadline) {
                return nodeA.timer(100).compose(t -> attempt(address, body, options, deadline));
              }
              return Future.failedFuture(err);
            });
  }

  private static final class EntityNameRequestHolder {
    final Object value = new io.emcachers.core.messages.EntityNameRequest("x");
  }
}
