package io.emcachers.core.bus;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ConsumerGroupTest {

  Vertx vertx;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() throws Exception {
    result(vertx.close());
  }

  static <T> T result(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  static ReplyException failure(Future<?> f) {
    try {
      result(f);
    } catch (ExecutionException e) {
      return (ReplyException) e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("expected a failed reply");
  }

  @Test
  void handlersReplyAndFailWithTheirCodes() throws Exception {
    ConsumerGroup group =
        new ConsumerGroup(vertx)
            .handle("t.upper", String.class, s -> Future.succeededFuture(s.toUpperCase()))
            .handleLocal(
                "t.missing",
                String.class,
                s -> Future.failedFuture(BusException.notFound("no " + s)))
            .handleLocal(
                "t.throws",
                String.class,
                s -> {
                  throw BusException.badRequest("bad " + s);
                })
            .handleLocalWithHeaders(
                "t.headers",
                String.class,
                (s, headers) -> Future.succeededFuture(s + "/" + headers.get("h")));
    result(group.ready());
    assertEquals(List.of("t.upper", "t.missing", "t.throws", "t.headers"), group.addresses());

    assertEquals("ABC", result(vertx.eventBus().request("t.upper", "abc")).body());
    assertEquals(
        "x/y",
        result(
                vertx
                    .eventBus()
                    .request("t.headers", "x", new DeliveryOptions().addHeader("h", "y")))
            .body());
    ReplyException missing = failure(vertx.eventBus().request("t.missing", "x"));
    assertEquals(ErrorCodes.NOT_FOUND, missing.failureCode());
    assertEquals("no x", missing.getMessage());
    assertEquals(
        ErrorCodes.BAD_REQUEST, failure(vertx.eventBus().request("t.throws", "y")).failureCode());
    // a body of another type is refused, not passed on
    assertEquals(
        ErrorCodes.BAD_REQUEST,
        failure(vertx.eventBus().request("t.upper", new JsonObject())).failureCode());
  }

  @Test
  void listenersGetBodiesOfTheirTypeOnly() throws Exception {
    List<String> clustered = new CopyOnWriteArrayList<>();
    List<String> local = new CopyOnWriteArrayList<>();
    ConsumerGroup group =
        new ConsumerGroup(vertx)
            .listen("t.events", String.class, clustered::add)
            .listenLocal("t.events", String.class, local::add);
    result(group.ready());

    vertx.eventBus().publish("t.events", new JsonObject().put("ignored", true));
    vertx.eventBus().publish("t.events", "one");
    vertx.eventBus().publish("t.events", "two");
    await().atMost(Duration.ofSeconds(5)).until(() -> clustered.size() == 2 && local.size() == 2);
    assertEquals(List.of("one", "two"), clustered);
    assertEquals(List.of("one", "two"), local);
  }

  @Test
  void unregisterAllRemovesEveryConsumer() throws Exception {
    ConsumerGroup group =
        new ConsumerGroup(vertx)
            .handle("t.a", String.class, Future::succeededFuture)
            .handleLocal("t.b", String.class, Future::succeededFuture)
            .listen("t.c", String.class, s -> {});
    result(group.ready());
    assertEquals("a", result(vertx.eventBus().request("t.a", "a")).body());

    result(group.unregisterAll());
    assertTrue(group.addresses().isEmpty());
    for (String address : List.of("t.a", "t.b", "t.c")) {
      assertEquals(
          ReplyFailure.NO_HANDLERS,
          failure(vertx.eventBus().request(address, "x")).failureType(),
          address);
    }
    // unregistering again is harmless
    result(group.unregisterAll());
  }
}
