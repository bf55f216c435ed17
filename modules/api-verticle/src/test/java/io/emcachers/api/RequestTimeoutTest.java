package io.emcachers.api;

import static io.emcachers.api.ApiTestSupport.KEY;
import static io.emcachers.api.ApiTestSupport.authed;
import static io.emcachers.api.ApiTestSupport.error;
import static io.emcachers.api.ApiTestSupport.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.messages.StatusEvent;
import io.emcachers.testsupport.Await;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The request timeout ({@code api.request_timeout_ms}): a component that takes the request but
 * never answers is a 504 naming it; a request whose body never arrives completely is a 408.
 */
class RequestTimeoutTest {

  Vertx vertx;

  @BeforeEach
  void start() {
    vertx = TestVertx.withMetrics();
  }

  @AfterEach
  void stop() throws Exception {
    Await.await(vertx.close());
  }

  @Test
  void aSilentComponentIsA504WithinTheRequestTimeout() throws Exception {
    // An entity manager that swallows requests (a hung component).
    Await.await(vertx.eventBus().consumer(Addresses.ENTITIES_LIST, m -> {}).completion());
    JsonObject root = ApiTestSupport.rootConfig(KEY, false);
    root.getJsonObject("api").put("request_timeout_ms", 400);
    WebClient client =
        ApiTestSupport.client(vertx, ApiTestSupport.deployApi(vertx, root).actualPort());

    long start = System.nanoTime();
    HttpResponse<Buffer> r = send(authed(client, HttpMethod.GET, "/api/entities"));
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(504, r.statusCode(), r.bodyAsString());
    assertEquals("timeout", error(r).getString("code"));
    assertTrue(error(r).getString("message").contains(Addresses.ENTITIES_LIST), error(r).encode());
    assertTrue(tookMs < 3_000, "answered within the timeout, took " + tookMs + " ms");
  }

  @Test
  void aSilentComponentBehindABodyRouteIsA504() throws Exception {
    Await.await(vertx.eventBus().consumer(Addresses.OPLOG_READ, m -> {}).completion());
    JsonObject root = ApiTestSupport.rootConfig(KEY, false);
    root.getJsonObject("api").put("request_timeout_ms", 400);
    WebClient client =
        ApiTestSupport.client(vertx, ApiTestSupport.deployApi(vertx, root).actualPort());

    HttpResponse<Buffer> r =
        ApiTestSupport.sendJson(
            authed(client, HttpMethod.POST, "/api/oplogs/batch"),
            new JsonObject().put("entities", new io.vertx.core.json.JsonArray().add("users")));
    assertEquals(504, r.statusCode(), r.bodyAsString());
    assertEquals("timeout", error(r).getString("code"));
  }

  @Test
  void aBodyShorterThanItsContentLengthIsA408AndTheConnectionCloses() throws Exception {
    JsonObject root = ApiTestSupport.rootConfig(KEY, false);
    root.getJsonObject("api").put("request_timeout_ms", 400);
    int port = ApiTestSupport.deployApi(vertx, root).actualPort();

    for (String target : List.of("/api/entities", "/api/cache/users/query", "/api/oplogs/batch")) {
      for (String auth : List.of("Authorization: Bearer " + KEY, "X-No-Key: 1")) {
        long start = System.nanoTime();
        RawHttp.Response r =
            RawHttp.exchange(
                port,
                RawHttp.request(
                    "POST",
                    target,
                    List.of(
                        "Host: 127.0.0.1",
                        auth,
                        "Content-Type: application/json",
                        "Content-Length: 100"),
                    RawHttp.latin1("{\"name\":")),
                false,
                10_000);
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(408, r.status(), target + " " + r);
        assertTrue(r.header("content-type").startsWith("application/json"), r.toString());
        JsonObject e = new JsonObject(r.bodyText()).getJsonObject("error");
        assertEquals("request_timeout", e.getString("code"));
        assertTrue(e.getString("message").contains("api.request_timeout_ms"), e.encode());
        assertEquals(
            "close",
            r.header("connection"),
            "the rest of the body never comes: the connection is closed");
        assertTrue(tookMs < 5_000, "answered at the request timeout, took " + tookMs + " ms");
      }
    }
  }

  @Test
  void anUnfinishedChunkedBodyIsA408() throws Exception {
    JsonObject root = ApiTestSupport.rootConfig(KEY, false);
    root.getJsonObject("api").put("request_timeout_ms", 400);
    int port = ApiTestSupport.deployApi(vertx, root).actualPort();
    RawHttp.Response r =
        RawHttp.exchange(
            port,
            RawHttp.request(
                "POST",
                "/api/entities",
                List.of(
                    "Host: 127.0.0.1",
                    "Authorization: Bearer " + KEY,
                    "Content-Type: application/json",
                    "Transfer-Encoding: chunked"),
                RawHttp.latin1("5\r\n{\"a\":\r\n")),
            false,
            10_000);
    assertEquals(408, r.status(), r.toString());
    assertEquals(
        "request_timeout", new JsonObject(r.bodyText()).getJsonObject("error").getString("code"));
  }

  @Test
  void theBoundPortIsPublishedOnTheStatusFeed() throws Exception {
    VertxTestContext published = new VertxTestContext();
    int[] seen = {-1};
    Await.await(
        vertx
            .eventBus()
            .<Object>consumer(
                Addresses.STATUS,
                m -> {
                  if (m.body() instanceof StatusEvent e
                      && ApiVerticle.COMPONENT.equals(e.component())
                      && "listening".equals(e.state())) {
                    seen[0] = e.data().getInteger("port");
                    published.completeNow();
                  }
                })
            .completion());
    ApiVerticle api = ApiTestSupport.deployApi(vertx, ApiTestSupport.rootConfig(KEY, false));
    assertTrue(published.awaitCompletion(10, TimeUnit.SECONDS));
    assertTrue(api.actualPort() > 0);
    assertEquals(api.actualPort(), seen[0]);
  }
}
