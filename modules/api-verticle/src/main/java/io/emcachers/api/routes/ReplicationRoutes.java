package io.emcachers.api.routes;

import static io.emcachers.api.routes.RouteFactory.Access.READ;
import static io.emcachers.api.routes.RouteFactory.Access.WRITE;

import io.emcachers.api.BusClient;
import io.emcachers.api.errors.ApiException;
import io.emcachers.api.status.StatusFeedBridge;
import io.emcachers.core.bus.Addresses;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.StatusEvent;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.TreeMap;

/**
 * Replication progress per node and entity, and cache rebuilds. {@code emc.replicator.stats}
 * reaches one replicator; every other node is known from its latest {@code progress} events on the
 * status feed, so a clustered deployment shows all of them.
 */
public final class ReplicationRoutes {

  private final BusClient bus;
  private final StatusFeedBridge feed;

  public ReplicationRoutes(BusClient bus, StatusFeedBridge feed) {
    this.bus = bus;
    this.feed = feed;
  }

  public void mount(RouteFactory routes) {
    routes
        .route(HttpMethod.GET, "/api/replication/stats", READ)
        .handler(ctx -> Http.respond(ctx, 200, this::stats));
    routes
        .route(HttpMethod.POST, "/api/replication/recreate/:entity", WRITE)
        .handler(ctx -> Http.respond(ctx, 202, this::recreate));
  }

  private Future<JsonObject> stats(RoutingContext ctx) {
    return bus.replicator()
        .stats()
        .transform(
            ar -> {
              Map<String, JsonObject> nodes = new TreeMap<>();
              JsonArray errors = new JsonArray();
              feed.latestProgress()
                  .forEach((node, entities) -> nodes.put(node, fromFeed(node, entities)));
              if (ar.succeeded()) {
                JsonObject direct = fromReply(ar.result());
                nodes.put(direct.getString("node"), direct);
              } else {
                errors.add(
                    new JsonObject()
                        .put("address", Addresses.REPLICATOR_STATS)
                        .put("message", ar.cause().getMessage()));
                if (nodes.isEmpty()) {
                  return Future.failedFuture(ar.cause());
                }
              }
              JsonArray list = new JsonArray();
              nodes.values().forEach(list::add);
              JsonObject out = new JsonObject().put("nodes", list);
              if (!errors.isEmpty()) {
                out.put("errors", errors);
              }
              return Future.succeededFuture(out);
            });
  }

  /** A node as its replicator reported it over {@code emc.replicator.stats}. */
  static JsonObject fromReply(HealthReply r) {
    JsonObject details = r.details().copy();
    details.remove("jobs");
    Object node = details.remove("node");
    Object entities = details.remove("entities");
    JsonObject byEntity = new JsonObject();
    if (entities instanceof JsonObject map) {
      byEntity = map;
    } else if (entities instanceof JsonArray arr) {
      for (Object o : arr) {
        if (o instanceof JsonObject e && e.getValue("entity") != null) {
          byEntity.put(String.valueOf(e.getValue("entity")), e);
        }
      }
    }
    return new JsonObject()
        .put("node", node == null ? "unknown" : String.valueOf(node))
        .put("source", "stats")
        .put("ok", r.ok())
        .put("state", r.state())
        .put("entities", byEntity)
        .put("details", details);
  }

  /** A node known only from its latest progress events. */
  static JsonObject fromFeed(String node, Map<String, StatusEvent> events) {
    JsonObject byEntity = new JsonObject();
    String latest = null;
    JsonObject totals = null;
    String state = null;
    for (Map.Entry<String, StatusEvent> e : events.entrySet()) {
      StatusEvent ev = e.getValue();
      JsonObject data = ev.data() == null ? new JsonObject() : ev.data().copy();
      data.remove("node");
      data.put("state", ev.state());
      String ts = ev.ts() == null ? null : ev.ts().toString();
      data.put("updated_at", ts);
      if (ts != null && (latest == null || ts.compareTo(latest) > 0)) {
        latest = ts;
      }
      if (StatusFeedBridge.NODE_KEY.equals(e.getKey())) {
        totals = data;
        state = ev.state();
      } else {
        byEntity.put(e.getKey(), data);
      }
    }
    JsonObject out =
        new JsonObject()
            .put("node", node)
            .put("source", "status_feed")
            .put("state", state)
            .put("updated_at", latest);
    if (totals != null) {
      out.put("details", totals);
    }
    return out.put("entities", byEntity);
  }

  private Future<JsonObject> recreate(RoutingContext ctx) {
    String entity = Http.entityName("entity", ctx.pathParam("entity"));
    return bus.replicator()
        .recreate(entity)
        .map(
            job -> {
              if (job == null) {
                throw new ApiException(
                    500, "internal", "the replicator accepted the rebuild without a job id");
              }
              ctx.response().putHeader("Location", "/ws/status?entity=" + entity);
              return job.toJson()
                  .put("status", "accepted")
                  .put("progress", "/ws/status?entity=" + entity);
            });
  }
}
