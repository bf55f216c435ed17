package io.emcachers.core.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Codecs;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.StatusEvent;
import io.emcachers.core.model.EntityStatus;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The status publisher on a real event bus: every kind of event, with and without a node id. */
class StatusPublisherTest {

  Vertx vertx;
  final List<StatusEvent> received = new CopyOnWriteArrayList<>();
  volatile CountDownLatch expected = new CountDownLatch(0);

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    Codecs.registerAll(vertx.eventBus());
    vertx
        .eventBus()
        .<StatusEvent>consumer(
            Addresses.STATUS,
            m -> {
              received.add(m.body());
              expected.countDown();
            })
        .completion()
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void publishesEveryTypeForItsComponent() throws Exception {
    expected = new CountDownLatch(4);
    StatusPublisher status = new StatusPublisher(vertx.eventBus(), "oplog", "node-1");
    JsonObject data = new JsonObject().put("head_id", 5);
    status.component(ComponentState.LEADER, data);
    status.entity("users", EntityStatus.scanning, new JsonObject().put("change", "status_changed"));
    status.progress("users", "streaming", null);
    status.error(null, "scan_failed", new JsonObject().put("error", "boom"));
    assertTrue(expected.await(10, TimeUnit.SECONDS));

    StatusEvent component = received.get(0);
    assertEquals(StatusEvent.TYPE_COMPONENT, component.type());
    assertEquals("oplog", component.component());
    assertEquals("leader", component.state());
    assertEquals(ComponentState.LEADER, component.componentState());
    assertEquals(new JsonObject().put("head_id", 5).put("node", "node-1"), component.data());
    assertEquals(new JsonObject().put("head_id", 5), data, "the caller's data is not modified");

    assertEquals(
        List.of(StatusEvent.TYPE_ENTITY, StatusEvent.TYPE_PROGRESS, StatusEvent.TYPE_ERROR),
        received.subList(1, 4).stream().map(StatusEvent::type).toList());
    assertEquals("scanning", received.get(1).state());
    assertEquals("users", received.get(1).entity());
    assertNull(received.get(1).componentState(), "only component events carry a component state");
    assertEquals(new JsonObject().put("node", "node-1"), received.get(2).data());
    assertEquals("scan_failed", received.get(3).state());
    assertNull(received.get(3).entity());
  }

  @Test
  void withoutANodeIdTheDataIsAsGiven() throws Exception {
    expected = new CountDownLatch(2);
    new StatusPublisher(vertx.eventBus(), "api")
        .component(ComponentState.LISTENING, new JsonObject().put("port", 8080));
    new StatusPublisher(vertx.eventBus(), "listener").component("some_future_state", null);
    assertTrue(expected.await(10, TimeUnit.SECONDS));
    assertEquals(new JsonObject().put("port", 8080), received.get(0).data());
    assertEquals("listening", received.get(0).state());
    assertEquals(new JsonObject(), received.get(1).data());
    assertNull(received.get(1).componentState(), "a state unknown here is kept as its string");
    assertEquals("some_future_state", received.get(1).state());
  }

  @Test
  void componentStatesKeepTheirWireNames() {
    for (String wire :
        List.of(
            "starting",
            "listening",
            "running",
            "stopping",
            "stopped",
            "streaming",
            "retrying",
            "leader",
            "standby",
            "disconnected",
            "catching_up",
            "caught_up",
            "error",
            "degraded")) {
      assertEquals(wire, ComponentState.fromWire(wire).wire());
    }
    assertThrows(IllegalArgumentException.class, () -> ComponentState.fromWire("LEADER"));
    HealthReply reply = new HealthReply("oplog", true, ComponentState.STANDBY, null);
    assertEquals("standby", reply.state());
    assertEquals(ComponentState.STANDBY, HealthReply.fromJson(reply.toJson()).componentState());
  }
}
