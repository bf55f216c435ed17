package io.emcachers.api;

import static io.emcachers.api.ApiTestSupport.KEY;
import static io.emcachers.api.ApiTestSupport.error;
import static io.emcachers.api.ApiTestSupport.send;
import static io.emcachers.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.api.auth.ApiKeyAuthHandler;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's static side on the real API verticle (no other component deployed): the page at
 * {@code /} without a key, its assets with their content types and headers, traversal refused, the
 * API's JSON 404 kept for unknown paths, and the status feed's subprotocol key for browsers.
 */
class DashboardRoutesTest {

  static Vertx vertx;
  static ApiVerticle api;
  static WebClient client;

  @BeforeAll
  static void start() throws Exception {
    vertx = TestVertx.withMetrics();
    JsonObject root = ApiTestSupport.rootConfig(KEY, false);
    root.getJsonObject("api").put("cors_origins", new JsonArray()); // Vert.x WS clients send Origin
    api = ApiTestSupport.deployApi(vertx, root);
    client = ApiTestSupport.client(vertx, api.actualPort());
  }

  @AfterAll
  static void stop() throws Exception {
    await(vertx.close());
  }

  static HttpResponse<Buffer> get(String uri) throws Exception {
    return send(client.request(HttpMethod.GET, uri));
  }

  @Test
  void thePageIsServedAtTheRootWithoutAKey() throws Exception {
    HttpResponse<Buffer> page = get("/");
    assertEquals(200, page.statusCode());
    assertEquals("text/html; charset=utf-8", page.getHeader("Content-Type"));
    assertEquals("no-cache", page.getHeader("Cache-Control"));
    assertEquals("nosniff", page.getHeader("X-Content-Type-Options"));
    assertTrue(page.getHeader("Content-Security-Policy").contains("script-src 'self'"));
    String html = page.bodyAsString();
    assertTrue(html.startsWith("<!doctype html>"), html);
    assertTrue(html.contains("src=\"dashboard/app.js\""), "the page loads its module relatively");
    assertTrue(html.contains("Enter the API key"));
  }

  @Test
  void everyAssetIsServedWithItsContentType() throws Exception {
    Map<String, String> types =
        Map.of(
            "app.js", "text/javascript",
            "api.js", "text/javascript",
            "contract.js", "text/javascript",
            "chart.js", "text/javascript",
            "editor.js", "text/javascript",
            "style.css", "text/css");
    for (Map.Entry<String, String> e : types.entrySet()) {
      HttpResponse<Buffer> r = get("/dashboard/" + e.getKey());
      assertEquals(200, r.statusCode(), e.getKey());
      String type = r.getHeader("Content-Type");
      assertNotNull(type, e.getKey());
      // ES modules need a JavaScript MIME type; Vert.x names it application/javascript
      boolean ok =
          type.startsWith(e.getValue())
              || (e.getValue().equals("text/javascript")
                  && type.startsWith("application/javascript"));
      assertTrue(ok, e.getKey() + " served as " + type);
      assertTrue(type.contains("charset=utf-8") || type.contains("charset=UTF-8"), type);
      assertEquals("nosniff", r.getHeader("X-Content-Type-Options"));
      assertFalse(r.bodyAsString().isEmpty());
    }
  }

  @Test
  void unknownAssetsAndApiPathsKeepTheJsonNotFound() throws Exception {
    for (String uri : List.of("/dashboard/missing.js", "/api/nothing-here", "/api", "/nothing")) {
      HttpResponse<Buffer> r = get(uri);
      assertEquals(404, r.statusCode(), uri);
      assertEquals("not_found", error(r).getString("code"), uri);
    }
  }

  @Test
  void traversalOutOfTheAssetsIsRefused() throws Exception {
    List<String> attempts =
        List.of(
            "/dashboard/..%2f..%2fopenapi.yaml",
            // dot-segments are resolved before routing: these name paths outside every route
            "/dashboard/%2e%2e/webroot/index.html",
            "/dashboard/%2e%2e/logback-test.xml",
            "/dashboard/..%5c..%5copenapi.yaml",
            "/dashboard/%2e%2e%2f%2e%2e%2fio%2femcachers%2fapi%2fApiVerticle.class",
            "/dashboard/....//....//openapi.yaml",
            "/dashboard/%252e%252e%252fopenapi.yaml",
            "/dashboard/app.js%00.css",
            "/dashboard/",
            "/dashboard/../webroot/index.html",
            "/dashboard/.hidden.js",
            "/dashboard/sub/app.js");
    for (String uri : attempts) {
      RawHttp.Response r =
          RawHttp.exchange(
              api.actualPort(),
              RawHttp.request("GET", uri, List.of("Host: 127.0.0.1"), null),
              false,
              5000);
      assertTrue(r.status() >= 400 && r.status() < 500, uri + " → " + r);
      assertTrue(r.bodyText().contains("\"error\""), uri + " → " + r);
      assertFalse(r.bodyText().contains("openapi: "), uri + " leaked the document");
      assertFalse(r.bodyText().contains("<configuration"), uri + " leaked a classpath file");
    }
  }

  @Test
  void withoutAKeyOnlyHealthAnswersAndItNamesTheFailingParts() throws Exception {
    HttpResponse<Buffer> health = get("/health");
    assertEquals(503, health.statusCode()); // nothing but the API runs here
    JsonObject body = health.bodyAsJsonObject();
    assertEquals("DOWN", body.getString("status"));
    assertFalse(body.getJsonObject("failing").isEmpty(), "the contract's failing? field");
    for (String uri : List.of("/api/entities", "/api/jobs", "/api/cluster", "/health/detailed")) {
      HttpResponse<Buffer> r = get(uri);
      assertEquals(401, r.statusCode(), uri);
      assertEquals("unauthorized", error(r).getString("code"));
    }
  }

  static WebSocketConnectOptions feed(List<String> protocols) {
    return new WebSocketConnectOptions()
        .setHost("127.0.0.1")
        .setPort(api.actualPort())
        .setURI("/ws/status")
        .setSubProtocols(protocols);
  }

  static String keyProtocol(String key) {
    return ApiKeyAuthHandler.WEBSOCKET_KEY_PREFIX
        + Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(key.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aBrowserSendsTheKeyAsAWebSocketSubprotocol() throws Exception {
    WebSocketClient ws = vertx.createWebSocketClient();
    try {
      WebSocket socket =
          await(ws.connect(feed(List.of(ApiKeyAuthHandler.WEBSOCKET_PROTOCOL, keyProtocol(KEY)))));
      assertEquals(ApiKeyAuthHandler.WEBSOCKET_PROTOCOL, socket.subProtocol());
      await(socket.close());

      for (List<String> refused :
          List.of(
              List.of(ApiKeyAuthHandler.WEBSOCKET_PROTOCOL),
              List.of(ApiKeyAuthHandler.WEBSOCKET_PROTOCOL, keyProtocol("wrong-key-0123456789")),
              List.of(ApiKeyAuthHandler.WEBSOCKET_PROTOCOL, "emc.bearer.%%%"))) {
        Exception e = assertThrows(Exception.class, () -> await(ws.connect(feed(refused))));
        Throwable cause = unwrap(e);
        assertTrue(cause instanceof UpgradeRejectedException, refused + " → " + cause);
        assertEquals(401, ((UpgradeRejectedException) cause).getStatus(), refused.toString());
      }
    } finally {
      await(ws.close());
    }
  }

  static Throwable unwrap(Throwable t) {
    while (!(t instanceof UpgradeRejectedException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
