package io.emcachers.api.routes;

import static io.emcachers.api.routes.RouteFactory.Access.READ;

import io.emcachers.core.cluster.ClusterView;
import io.emcachers.core.messages.NodeHeartbeat;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code GET /api/cluster}: the members this node has heard (roles, age of the last heartbeat,
 * {@code stale}), the oplog leader with its term, and the assignment of entities to the replicator
 * nodes with each holder's lag — all from the heartbeats ({@link ClusterView}), so any node answers
 * for the whole cluster.
 */
public final class ClusterRoutes {

  private final ClusterView view;
  private final String nodeId;

  public ClusterRoutes(ClusterView view, String nodeId) {
    this.view = view;
    this.nodeId = nodeId;
  }

  public void mount(RouteFactory routes) {
    routes
        .route(HttpMethod.GET, "/api/cluster", READ)
        .handler(ctx -> Http.respond(ctx, 200, this::cluster));
  }

  private Future<JsonObject> cluster(RoutingContext ctx) {
    JsonArray members = new JsonArray();
    JsonObject leader = null;
    Map<String, JsonArray> assignment = new TreeMap<>();
    for (ClusterView.Member m : view.members()) {
      NodeHeartbeat hb = m.heartbeat();
      JsonObject member =
          new JsonObject()
              .put("node", hb.node())
              .put("roles", new JsonArray(hb.roles()))
              .put("started_at", hb.startedAt() == null ? null : hb.startedAt().toString())
              .put("last_seen_ms_ago", m.ageMs())
              .put("stale", m.stale())
              .put("serving", new JsonArray(hb.serving()))
              .put("caches", new JsonArray(hb.caches()));
      if (hb.oplog() != null) {
        member.put("oplog", hb.oplog());
        if (!m.stale() && hb.oplog().getBoolean("leader", false)) {
          leader = hb.oplog().copy().put("node", hb.node());
        }
      }
      JsonObject partition = null;
      if (hb.replicator() != null) {
        partition = hb.replicator().getJsonObject("partition");
        member.put("replicator_offset", hb.replicator().getValue("offset"));
        if (partition != null) {
          member.put("partition", partition);
        }
      }
      members.add(member);
      if (!m.stale() && hb.replicator() != null) {
        addHolders(assignment, hb, partition);
      }
    }
    JsonObject byEntity = new JsonObject();
    assignment.forEach(byEntity::put);
    return Future.succeededFuture(
        new JsonObject()
            .put("node", nodeId)
            .put("heartbeat_ms", view.config().heartbeatMs())
            .put("stale_after_ms", view.config().staleAfterMs())
            .put("leader", leader)
            .put("members", members)
            .put("assignment", byEntity));
  }

  /** One entry per entity this live replicator holds, assigned, retained or with a cache file. */
  private static void addHolders(
      Map<String, JsonArray> assignment, NodeHeartbeat hb, JsonObject partition) {
    JsonObject entities = hb.replicator().getJsonObject("entities", new JsonObject());
    java.util.Set<String> names = new java.util.TreeSet<>(entities.fieldNames());
    names.addAll(hb.caches());
    JsonArray assigned = partition == null ? null : partition.getJsonArray("assigned");
    JsonArray retained = partition == null ? null : partition.getJsonArray("retained");
    for (String name : names) {
      JsonObject progress = entities.getJsonObject(name, new JsonObject());
      JsonObject holder =
          new JsonObject()
              .put("node", hb.node())
              .put("serving", hb.serving().contains(name))
              .put("lag_rows", progress.getValue("lag_rows"))
              .put("lag_seconds", progress.getValue("lag_seconds"))
              .put("last_applied_id", progress.getValue("last_applied_id"));
      if (assigned != null) {
        holder.put(
            "role",
            assigned.contains(name)
                ? "assigned"
                : retained != null && retained.contains(name) ? "retained" : "none");
      }
      assignment.computeIfAbsent(name, k -> new JsonArray()).add(holder);
    }
  }
}
