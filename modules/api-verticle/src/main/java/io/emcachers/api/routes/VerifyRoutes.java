package io.emcachers.api.routes;

import static io.emcachers.api.routes.RouteFactory.Access.READ;
import static io.emcachers.api.routes.RouteFactory.Access.WRITE;

import io.emcachers.api.BusClient;
import io.emcachers.api.errors.ApiException;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Verification runs (issue 11) over the verifier's {@code emc.verify.*} addresses: start one for an
 * entity (on the node whose verifier answers: it verifies that node's cache), list and get runs.
 */
public final class VerifyRoutes {

  /** Longest run id accepted in a path (ids are UUIDs). */
  static final int MAX_ID_LENGTH = 100;

  private final BusClient bus;

  public VerifyRoutes(BusClient bus) {
    this.bus = bus;
  }

  public void mount(RouteFactory routes) {
    routes
        .withBody(HttpMethod.POST, "/api/entities/:name/verify", WRITE)
        .handler(ctx -> Http.respond(ctx, 202, this::start));
    routes
        .route(HttpMethod.GET, "/api/verifications", READ)
        .handler(ctx -> Http.respond(ctx, 200, this::list));
    routes
        .route(HttpMethod.GET, "/api/verifications/:id", READ)
        .handler(ctx -> Http.respond(ctx, 200, this::get));
  }

  private Future<JsonObject> start(RoutingContext ctx) {
    String name = Http.entityName("name", ctx.pathParam("name"));
    boolean repair = false;
    if (ctx.body() != null && ctx.body().available() && ctx.body().length() > 0) {
      Object value = Http.bodyObject(ctx).getValue("repair");
      if (value != null && !(value instanceof Boolean)) {
        throw ApiException.invalidField("repair", "must be true or false, got " + value);
      }
      repair = Boolean.TRUE.equals(value);
    }
    return bus.verify()
        .start(name, repair)
        .map(
            job -> {
              ctx.response().putHeader("Location", "/api/verifications/" + job.id());
              return new JsonObject()
                  .put("job", job.toJson())
                  .put("progress", "/ws/status?entity=" + name);
            });
  }

  private Future<JsonObject> list(RoutingContext ctx) {
    return bus.verify()
        .list()
        .map(
            reply -> {
              JsonArray arr = new JsonArray();
              reply.jobs().forEach(j -> arr.add(j.toJson()));
              return new JsonObject().put("verifications", arr);
            });
  }

  private Future<JsonObject> get(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (id == null || id.isEmpty() || id.length() > MAX_ID_LENGTH) {
      throw ApiException.invalidField("id", "must be 1.." + MAX_ID_LENGTH + " characters");
    }
    return bus.verify().get(id).map(job -> job.toJson());
  }
}
