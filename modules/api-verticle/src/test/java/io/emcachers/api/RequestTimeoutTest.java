package io.emcachers.api;

import static io.emcachers.api.TestSupport.KEY;
import static io.emcachers.api.TestSupport.authed;
import static io.emcachers.api.TestSupport.error;
import static io.emcachers.api.TestSupport.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.messages.StatusEvent;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import io.vertx.junit5.VertxTestContext;

/** A component that takes the request but never answers: the client gets 504 within the request timeout. */
class RequestTimeoutTest {

  Vertx vertx;

  @BeforeEach
  void start() {
    vertx = TestSupport.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    TestSupport.await(vertx.close());
  }

  @Test
  void aSilentComponentIsA504WithinTheRequestTimeout() throws Exception {
    // An entity manager that swallows requests (a hung component).
    TestSupport.await(vertx.eventBus().consumer(Addresses.ENTITIES_LIST, m -> { }).completion());
    JsonObject root = TestSupport.rootConfig(KEY, false);
    root.getJsonObject("api").put("request_timeout_ms", 400);
    WebClient client = TestSupport.client(vertx, TestSupport.deployApi(vertx, root).actualPort());

    long start = System.nanoTime();
    HttpResponse<Buffer> r = send(authed(client, HttpMethod.GET, "/api/entities"));
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(504, r.statusCode(), r.bodyAsString());
    assertEquals("timeout", error(r).getString("code"));
    assertTrue(error(r).getString("message").contains(Addresses.ENTITIES_LIST), error(r).encode());
    assertTrue(tookMs < 3_000, "answered within the timeout, took " + tookMs + " ms");
  }

  @Test
  void theBoundPortIsPublishedOnTheStatusFeed() throws Exception {
    VertxTestContext published = new VertxTestContext();
    int[] seen = {-1};
    TestSupport.await(vertx.eventBus().<Object>consumer(Addresses.STATUS, m -> {
      if (m.body() instanceof StatusEvent e && ApiVerticle.COMPONENT.equals(e.component()) && "listening".equals(e.state())) {
        seen[0] = e.data().getInteger("port");
        published.completeNow();
      }
    }).completion());
    ApiVerticle api = TestSupport.deployApi(vertx, TestSupport.rootConfig(KEY, false));
    assertTrue(published.awaitCompletion(10, TimeUnit.SECONDS));
    assertTrue(api.actualPort() > 0);
    assertEquals(api.actualPort(), seen[0]);
  }
}
