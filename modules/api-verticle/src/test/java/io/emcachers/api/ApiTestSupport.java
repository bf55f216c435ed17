package io.emcachers.api;

import static io.emcachers.testsupport.Await.await;

import io.emcachers.testsupport.TestRoots;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

/**
 * Shared API test plumbing: the API's root config, deployment and an HTTP client with the test key.
 */
public final class ApiTestSupport {

  public static final String KEY = "test-key-0123456789abcdef";

  private ApiTestSupport() {}

  /** A root config whose {@code api} section binds port 0. */
  public static JsonObject rootConfig(String key, boolean openReads) {
    return TestRoots.node("api-test-node").api(key, openReads).build();
  }

  public static ApiVerticle deployApi(Vertx vertx, JsonObject root) throws Exception {
    ApiVerticle api = new ApiVerticle();
    await(vertx.deployVerticle(api, new DeploymentOptions().setConfig(root)));
    return api;
  }

  public static WebClient client(Vertx vertx, int port) {
    return WebClient.create(
        vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port));
  }

  /** A request with the test key. */
  public static HttpRequest<Buffer> authed(WebClient client, HttpMethod method, String uri) {
    return client.request(method, uri).putHeader("Authorization", "Bearer " + KEY);
  }

  public static HttpResponse<Buffer> send(HttpRequest<Buffer> request) throws Exception {
    return await(request.send());
  }

  public static HttpResponse<Buffer> sendJson(HttpRequest<Buffer> request, Object body)
      throws Exception {
    return await(
        request
            .putHeader("Content-Type", "application/json")
            .sendBuffer(
                Buffer.buffer(
                    body instanceof String s ? s : io.vertx.core.json.Json.encode(body))));
  }

  /** The {@code error} object of an error response. */
  public static JsonObject error(HttpResponse<Buffer> response) {
    return response.bodyAsJsonObject().getJsonObject("error");
  }
}
