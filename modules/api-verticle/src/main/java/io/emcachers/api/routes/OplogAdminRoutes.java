package io.emcachers.api.routes;

import static io.emcachers.api.routes.RouteFactory.Access.READ;
import static io.emcachers.api.routes.RouteFactory.Access.WRITE;

import io.emcachers.api.BusClient;
import io.emcachers.api.errors.ApiException;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Oplog compaction and the replica registry (issue 12): a compaction run on demand ({@code
 * emc.oplog.compact}, leader only), the oplog's size and horizons ({@code emc.oplog.stats}), the
 * registered replicator nodes ({@code emc.oplog.replica.list}) and forgetting a node that is gone
 * ({@code emc.oplog.replica.remove}).
 */
public final class OplogAdminRoutes {

  /** Longest node id accepted in a path. */
  static final int MAX_NODE_ID = 255;

  private final BusClient bus;

  public OplogAdminRoutes(BusClient bus) {
    this.bus = bus;
  }

  public void mount(RouteFactory routes) {
    routes.route(HttpMethod.POST, "/api/oplog/compact", WRITE).handler(ctx -> compact(ctx));
    routes
        .route(HttpMethod.GET, "/api/oplog/stats", READ)
        .handler(ctx -> Http.respond(ctx, 200, c -> bus.oplog().stats().map(r -> r.toJson())));
    routes
        .route(HttpMethod.GET, "/api/oplog/replicas", READ)
        .handler(ctx -> Http.respond(ctx, 200, c -> bus.oplog().replicas().map(r -> r.toJson())));
    routes
        .route(HttpMethod.DELETE, "/api/oplog/replicas/:node", WRITE)
        .handler(ctx -> Http.respond(ctx, 200, this::removeReplica));
  }

  /**
   * 200 with the run ({@code CompactionReply}) when it ends within most of the API's deadline;
   * otherwise 202: the run goes on on the oplog leader (a later request joins it), its result shows
   * in {@code GET /api/oplog/stats} ({@code last_run}).
   */
  private void compact(RoutingContext ctx) {
    long wait = Math.max(1, bus.timeoutMs() * 4 / 5);
    bus.oplog()
        .compact("api", wait)
        .onComplete(
            ar -> {
              if (ar.succeeded()) {
                Http.json(ctx, 200, ar.result().toJson().put("status", "done"));
              } else if (ar.cause() instanceof ApiException e && e.status() == 504) {
                ctx.response().putHeader("Location", "/api/oplog/stats");
                Http.json(
                    ctx,
                    202,
                    new JsonObject()
                        .put("status", "running")
                        .put(
                            "message",
                            "the compaction run did not end within "
                                + wait
                                + " ms; it goes on on the oplog leader, see last_run in"
                                + " /api/oplog/stats")
                        .put("stats", "/api/oplog/stats"));
              } else {
                Http.fail(ctx, ar.cause());
              }
            });
  }

  private Future<JsonObject> removeReplica(RoutingContext ctx) {
    String node = ctx.pathParam("node");
    if (node == null
        || node.isBlank()
        || node.length() > MAX_NODE_ID
        || node.chars().anyMatch(ch -> ch < 0x20)) {
      throw ApiException.invalidField(
          "node", "must be a node id of 1 to " + MAX_NODE_ID + " printable characters");
    }
    return bus.oplog()
        .removeReplica(node)
        .map(
            r -> {
              if (!r.removed()) {
                throw ApiException.notFound("no replica " + node + " is registered");
              }
              return r.toJson();
            });
  }
}
