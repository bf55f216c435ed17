package io.emcachers.api.routes;

import static io.emcachers.api.routes.RouteFactory.Access.READ;
import static io.emcachers.api.routes.RouteFactory.Access.WRITE;

import io.emcachers.api.BusClient;
import io.emcachers.api.errors.ApiException;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.model.Entity;
import io.emcachers.core.validation.EntityValidator;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Entity CRUD over the entity manager's addresses. Definitions are validated here first (the same
 * {@link EntityValidator} the entity manager uses) so bad input is answered 400 with field-level
 * errors even while the oplog verticle is unreachable.
 */
public final class EntityRoutes {

  private final BusClient bus;

  public EntityRoutes(BusClient bus) {
    this.bus = bus;
  }

  public void mount(RouteFactory routes) {
    routes
        .route(HttpMethod.GET, "/api/entities", READ)
        .handler(ctx -> Http.respond(ctx, 200, this::list));
    routes.withBody(HttpMethod.POST, "/api/entities", WRITE).handler(this::create);
    routes
        .route(HttpMethod.GET, "/api/entities/:name", READ)
        .handler(ctx -> Http.respond(ctx, 200, this::get));
    routes
        .withBody(HttpMethod.PUT, "/api/entities/:name", WRITE)
        .handler(ctx -> Http.respond(ctx, 200, this::update));
    routes
        .route(HttpMethod.DELETE, "/api/entities/:name", WRITE)
        .handler(ctx -> Http.respond(ctx, 200, this::delete));
  }

  private Future<JsonObject> list(RoutingContext ctx) {
    boolean includeDeleted = "true".equalsIgnoreCase(ctx.request().getParam("include_deleted"));
    return bus.entities()
        .list(includeDeleted)
        .map(
            reply -> {
              JsonArray arr = new JsonArray();
              reply.entities().forEach(e -> arr.add(view(e)));
              return new JsonObject().put("entities", arr);
            });
  }

  private void create(RoutingContext ctx) {
    Future<Entity> created;
    try {
      JsonObject body = Http.bodyObject(ctx);
      EntityValidator.validate(body); // throws ValidationException -> 400 with field errors
      created = bus.entities().create(body).map(EntityReply::entity);
    } catch (RuntimeException e) {
      created = Future.failedFuture(e);
    }
    created
        .onSuccess(
            e -> {
              ctx.response().putHeader("Location", "/api/entities/" + e.name());
              Http.json(ctx, 201, view(e));
            })
        .onFailure(t -> Http.fail(ctx, t));
  }

  private Future<JsonObject> get(RoutingContext ctx) {
    String name = Http.entityName("name", ctx.pathParam("name"));
    return bus.entities().get(name).map(r -> view(r.entity()));
  }

  private Future<JsonObject> update(RoutingContext ctx) {
    String name = Http.entityName("name", ctx.pathParam("name"));
    JsonObject body = Http.bodyObject(ctx);
    Object bodyName = body.getValue("name");
    if (bodyName == null) {
      body.put("name", name);
    } else if (!name.equals(bodyName)) {
      throw ApiException.invalidField(
          "name", "must equal the name in the path (" + name + "); entities cannot be renamed");
    }
    EntityValidator.validate(body);
    return bus.entities().update(body).map(r -> view(r.entity()));
  }

  private Future<JsonObject> delete(RoutingContext ctx) {
    String name = Http.entityName("name", ctx.pathParam("name"));
    return bus.entities().delete(name).map(r -> view(r.entity()));
  }

  /**
   * The API's view of an entity: the stored JSON (name, shape, status, version, created_at,
   * updated_at).
   */
  public static JsonObject view(Entity e) {
    return e.toJson();
  }
}
