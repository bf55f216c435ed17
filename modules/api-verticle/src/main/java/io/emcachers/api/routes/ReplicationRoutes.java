package io.emcachers.api.routes;

import static io.emcachers.api.routes.RouteFactory.Access.READ;
import static io.emcachers.api.routes.RouteFactory.Access.WRITE;

import io.emcachers.api.BusClient;
import io.emcachers.api.errors.ApiException;
import io.emcachers.api.status.StatusFeedBridge;
import io.emcachers.core.bus.Addresses;
import io.emcachers.core.cluster.ClusterView;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.JobAccepted;
import io.emcachers.core.messages.StatusEvent;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Replication progress per node and entity, and cache rebuilds, for the whole cluster from any
 * node. {@code emc.replicator.stats} answers for this node; every other replicator node is known
 * from its latest heartbeat ({@link ClusterView}: with {@code stale: true} once it stopped
 * reporting) or, failing that, from its latest {@code progress} events on the status feed. A
 * recreate goes to every live node that holds a cache of the entity, or to {@code ?node=ID}.
 */
public final class ReplicationRoutes {

  private final BusClient bus;
  private final StatusFeedBridge feed;
  private final ClusterView view;

  public ReplicationRoutes(BusClient bus, StatusFeedBridge feed, ClusterView view) {
    this.bus = bus;
    this.feed = feed;
    this.view = view;
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
              for (ClusterView.Member m : view.members()) {
                if (m.heartbeat().replicator() != null) {
                  nodes.put(m.node(), fromHeartbeat(m));
                } else if (m.stale() && nodes.containsKey(m.node())) {
                  nodes.get(m.node()).put("stale", true);
                }
              }
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

  /** A node as its latest heartbeat described it. */
  static JsonObject fromHeartbeat(ClusterView.Member m) {
    JsonObject details = m.heartbeat().replicator().copy();
    details.remove("node");
    Object entities = details.remove("entities");
    return new JsonObject()
        .put("node", m.node())
        .put("source", "heartbeat")
        .put("ok", details.remove("ok"))
        .put("state", details.remove("state"))
        .put("stale", m.stale())
        .put("last_seen_ms_ago", m.ageMs())
        .put("entities", entities instanceof JsonObject map ? map : new JsonObject())
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

  /**
   * Recreates on every live node that holds a cache of the entity (by default), or on {@code
   * ?node=ID} only. With no heartbeat naming a holder yet, this node's replicator does it. The
   * answer lists each node's job (or error); its top-level fields are the first job's.
   */
  private Future<JsonObject> recreate(RoutingContext ctx) {
    String entity = Http.entityName("entity", ctx.pathParam("entity"));
    String only = ctx.request().getParam("node");
    List<String> targets;
    if (only != null) {
      if (only.isBlank() || only.length() > 200) {
        throw ApiException.invalidField("node", "must be a node id of 1 to 200 characters");
      }
      if (view.liveHeartbeat(only) == null || !view.live("replicator").contains(only)) {
        throw ApiException.notFound(
            "no live replicator node " + Http.quote(only) + " (see GET /api/cluster)");
      }
      targets = List.of(only);
    } else {
      targets = view.holding(entity);
    }
    if (targets.isEmpty()) {
      return bus.replicator().recreate(entity).map(job -> accepted(ctx, entity, job, null));
    }
    List<Future<JobAccepted>> asks = new ArrayList<>();
    for (String node : targets) {
      asks.add(bus.replicator().recreateOn(node, entity));
    }
    return Future.join(asks)
        .transform(
            x -> {
              JsonArray jobs = new JsonArray();
              JobAccepted first = null;
              for (int i = 0; i < targets.size(); i++) {
                Future<JobAccepted> f = asks.get(i);
                if (f.succeeded() && f.result() != null) {
                  jobs.add(f.result().toJson().put("node", targets.get(i)));
                  first = first == null ? f.result() : first;
                } else {
                  jobs.add(
                      new JsonObject()
                          .put("node", targets.get(i))
                          .put("error", f.cause() == null ? "no job id" : f.cause().getMessage()));
                }
              }
              if (first == null) {
                return Future.failedFuture(asks.get(0).cause());
              }
              return Future.succeededFuture(accepted(ctx, entity, first, jobs));
            });
  }

  private static JsonObject accepted(
      RoutingContext ctx, String entity, JobAccepted job, JsonArray jobs) {
    if (job == null) {
      throw new ApiException(
          500, "internal", "the replicator accepted the rebuild without a job id");
    }
    ctx.response().putHeader("Location", "/ws/status?entity=" + entity);
    JsonObject out =
        job.toJson().put("status", "accepted").put("progress", "/ws/status?entity=" + entity);
    return jobs == null ? out : out.put("jobs", jobs);
  }
}
