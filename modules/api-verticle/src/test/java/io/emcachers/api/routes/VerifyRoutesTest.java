package io.emcachers.api.routes;

import static io.emcachers.api.ApiTestSupport.KEY;
import static io.emcachers.api.ApiTestSupport.authed;
import static io.emcachers.api.ApiTestSupport.error;
import static io.emcachers.api.ApiTestSupport.send;
import static io.emcachers.api.ApiTestSupport.sendJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.api.ApiTestSupport;
import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.BusException;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.VerifyJob;
import io.emcachers.core.messages.VerifyJobRequest;
import io.emcachers.core.messages.VerifyListReply;
import io.emcachers.core.messages.VerifyListRequest;
import io.emcachers.core.messages.VerifyStartRequest;
import io.emcachers.testsupport.Await;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The verification routes over the bus: requests as the verifier receives them, its answers and
 * failures as HTTP (stand-ins on the real bus answer like the verifier; the verifier itself is
 * tested end to end in the launcher's {@code VerificationIT}).
 */
class VerifyRoutesTest {

  static Vertx vertx;
  static WebClient client;
  static final List<VerifyStartRequest> starts = new CopyOnWriteArrayList<>();

  static VerifyJob job(String id, String entity, boolean repair) {
    return new VerifyJob(
        id,
        entity,
        "n1",
        repair,
        VerifyJob.RUNNING,
        "1/5 entity and cache of this node",
        Instant.parse("2026-01-02T03:04:05Z"),
        null,
        0,
        null,
        List.of(),
        null);
  }

  @BeforeAll
  static void start() throws Exception {
    vertx = TestVertx.create();
    var bus = vertx.eventBus();
    Await.await(
        bus.<Object>consumer(
                Addresses.VERIFY_START,
                m ->
                    Bus.handle(
                        m,
                        VerifyStartRequest.class,
                        r -> {
                          starts.add(r);
                          return switch (r.entity()) {
                            case "unknown" ->
                                Future.failedFuture(BusException.notFound("unknown entity"));
                            case "busy" ->
                                Future.failedFuture(
                                    new BusException(ErrorCodes.CONFLICT, "already running"));
                            default -> Future.succeededFuture(job("v-1", r.entity(), r.repair()));
                          };
                        }))
            .completion());
    Await.await(
        bus.<Object>consumer(
                Addresses.VERIFY_LIST,
                m ->
                    Bus.handle(
                        m,
                        VerifyListRequest.class,
                        r ->
                            Future.succeededFuture(
                                new VerifyListReply(List.of(job("v-1", "orders", true))))))
            .completion());
    Await.await(
        bus.<Object>consumer(
                Addresses.VERIFY_GET,
                m ->
                    Bus.handle(
                        m,
                        VerifyJobRequest.class,
                        r ->
                            "v-1".equals(r.id())
                                ? Future.succeededFuture(job("v-1", "orders", true))
                                : Future.failedFuture(BusException.notFound("no verification"))))
            .completion());
    client =
        ApiTestSupport.client(
            vertx,
            ApiTestSupport.deployApi(vertx, ApiTestSupport.rootConfig(KEY, false)).actualPort());
  }

  @AfterAll
  static void stop() throws Exception {
    Await.await(vertx.close());
  }

  @Test
  void startIsAcceptedWithTheRepairFlag() throws Exception {
    HttpResponse<Buffer> r =
        sendJson(
            authed(client, HttpMethod.POST, "/api/entities/orders/verify"),
            new JsonObject().put("repair", true));
    assertEquals(202, r.statusCode(), r.bodyAsString());
    assertEquals("v-1", r.bodyAsJsonObject().getJsonObject("job").getString("id"));
    assertEquals("/api/verifications/v-1", r.getHeader("Location"));
    assertEquals(new VerifyStartRequest("orders", true), starts.get(starts.size() - 1));

    HttpResponse<Buffer> noBody =
        send(authed(client, HttpMethod.POST, "/api/entities/orders/verify"));
    assertEquals(202, noBody.statusCode(), noBody.bodyAsString());
    assertEquals(new VerifyStartRequest("orders", false), starts.get(starts.size() - 1));
  }

  @Test
  void failuresMapToTheErrorShape() throws Exception {
    HttpResponse<Buffer> unknown =
        sendJson(authed(client, HttpMethod.POST, "/api/entities/unknown/verify"), "{}");
    assertEquals(404, unknown.statusCode());
    assertEquals("not_found", error(unknown).getString("code"));
    HttpResponse<Buffer> busy =
        sendJson(authed(client, HttpMethod.POST, "/api/entities/busy/verify"), "{}");
    assertEquals(409, busy.statusCode());
    HttpResponse<Buffer> badFlag =
        sendJson(
            authed(client, HttpMethod.POST, "/api/entities/orders/verify"), "{\"repair\":\"yes\"}");
    assertEquals(400, badFlag.statusCode());
    assertEquals(
        "repair", error(badFlag).getJsonArray("details").getJsonObject(0).getString("field"));
    HttpResponse<Buffer> badName =
        sendJson(authed(client, HttpMethod.POST, "/api/entities/Bad%3B/verify"), "{}");
    assertEquals(400, badName.statusCode());
    HttpResponse<Buffer> noKey = send(client.post("/api/entities/orders/verify"));
    assertEquals(401, noKey.statusCode());
    HttpResponse<Buffer> missing = send(authed(client, HttpMethod.GET, "/api/verifications/v-9"));
    assertEquals(404, missing.statusCode());
  }

  @Test
  void listAndGet() throws Exception {
    HttpResponse<Buffer> list = send(authed(client, HttpMethod.GET, "/api/verifications"));
    assertEquals(200, list.statusCode());
    assertEquals(
        "v-1",
        list.bodyAsJsonObject().getJsonArray("verifications").getJsonObject(0).getString("id"));
    HttpResponse<Buffer> one = send(authed(client, HttpMethod.GET, "/api/verifications/v-1"));
    assertEquals(200, one.statusCode());
    assertEquals("orders", one.bodyAsJsonObject().getString("entity"));
    assertTrue(one.bodyAsJsonObject().containsKey("counts"));
  }
}
