package io.emcachers.api;

import io.emcachers.core.bus.Codecs;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import java.util.concurrent.TimeUnit;

/** Shared test plumbing: Vert.x as the launcher creates it (Prometheus metrics, codecs), and an HTTP client. */
public final class TestSupport {

  public static final String KEY = "test-key-0123456789abcdef";

  private TestSupport() {}

  /** Vert.x with the Micrometer Prometheus backend enabled and every codec registered. */
  public static Vertx vertx() {
    VertxOptions options = new VertxOptions().setMetricsOptions(
        new MicrometerMetricsOptions().setEnabled(true).setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
    Vertx vertx = Vertx.vertx(options);
    Codecs.registerAll(vertx.eventBus());
    return vertx;
  }

  /** A root config whose {@code api} section binds port 0. */
  public static JsonObject rootConfig(String key, boolean openReads) {
    JsonObject api = new JsonObject()
        .put("host", "127.0.0.1")
        .put("port", 0)
        .put("key", key)
        .put("open_reads", openReads)
        .put("body_limit_bytes", 4096)
        .put("request_timeout_ms", 5000)
        .put("health_timeout_ms", 500)
        .put("cors_origins", new io.vertx.core.json.JsonArray().add("http://allowed.example"));
    return new JsonObject().put("node_id", "api-test-node").put("api", api);
  }

  public static ApiVerticle deployApi(Vertx vertx, JsonObject root) throws Exception {
    ApiVerticle api = new ApiVerticle();
    await(vertx.deployVerticle(api, new DeploymentOptions().setConfig(root)));
    return api;
  }

  public static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  public static WebClient client(Vertx vertx, int port) {
    return WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port));
  }

  /** A request with the test key. */
  public static HttpRequest<Buffer> authed(WebClient client, HttpMethod method, String uri) {
    return client.request(method, uri).putHeader("Authorization", "Bearer " + KEY);
  }

  public static HttpResponse<Buffer> send(HttpRequest<Buffer> request) throws Exception {
    return await(request.send());
  }

  public static HttpResponse<Buffer> sendJson(HttpRequest<Buffer> request, Object body) throws Exception {
    return await(request.putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer(
        body instanceof String s ? s : io.vertx.core.json.Json.encode(body))));
  }

  /** The {@code error} object of an error response. */
  public static JsonObject error(HttpResponse<Buffer> response) {
    return response.bodyAsJsonObject().getJsonObject("error");
  }
}
