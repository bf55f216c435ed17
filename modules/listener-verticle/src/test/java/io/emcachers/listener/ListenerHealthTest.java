package io.emcachers.listener;

import static io.emcachers.listener.ListenerTestSupport.deployListener;
import static io.emcachers.listener.ListenerTestSupport.listenerConfig;
import static io.emcachers.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.devservices.DevMongo;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.Vertx;
import java.net.ServerSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The listener's health pings MongoDB, so an unreachable source shows even before any stream opens.
 */
class ListenerHealthTest {

  Vertx vertx;

  @BeforeEach
  void setUp() {
    vertx = TestVertx.create();
  }

  @AfterEach
  void tearDown() {
    await(vertx.close());
  }

  private HealthReply health() {
    return await(
        Bus.request(
            vertx.eventBus(), Addresses.LISTENER_HEALTH, new HealthRequest(), HealthReply.class));
  }

  @Test
  void anUnreachableMongoIsReportedNotOk() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    deployListener(vertx, listenerConfig("mongodb://127.0.0.1:" + closedPort + "/app"));
    HealthReply reply = health();
    assertFalse(reply.ok());
    assertEquals(false, reply.details().getBoolean("mongo_reachable"));
    assertNotNull(reply.details().getString("mongo_error"));
  }

  @Test
  void aReachableMongoIsReported() {
    try (DevMongo mongo = DevMongo.start(0)) {
      deployListener(vertx, listenerConfig(mongo.url("app")));
      HealthReply reply = health();
      assertTrue(reply.details().getBoolean("mongo_reachable"), reply.details().encode());
    }
  }
}
