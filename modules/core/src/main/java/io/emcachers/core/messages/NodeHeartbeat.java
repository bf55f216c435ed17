package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/**
 * {@code emc.cluster.heartbeat} (publish, cluster-wide): one node says it is alive, every {@code
 * cluster.heartbeat_ms}. Every node publishes one, whatever its roles; a node not heard from within
 * {@code cluster.stale_after_ms} is stale ({@code io.emcachers.core.cluster.ClusterView}).
 *
 * @param node the node id ({@code node_id})
 * @param roles the node's roles
 * @param startedAt when the node started (a restart shows as a new start)
 * @param seq grows by one per heartbeat of this start
 * @param serving entities whose caught-up cache this node serves reads of (its read addresses)
 * @param caches entities this node has a cache file of
 * @param replicator this node's replicator summary ({@code emc.replicator.stats} details without
 *     jobs: node offset, per-entity lag, the partition assignment); null without the role
 * @param oplog {@code {"leader": bool, "leader_epoch": n}}; null without the role
 */
public record NodeHeartbeat(
    String node,
    List<String> roles,
    Instant startedAt,
    long seq,
    List<String> serving,
    List<String> caches,
    JsonObject replicator,
    JsonObject oplog)
    implements BusMessage {

  public NodeHeartbeat {
    roles = roles == null ? List.of() : List.copyOf(roles);
    serving = serving == null ? List.of() : List.copyOf(serving);
    caches = caches == null ? List.of() : List.copyOf(caches);
  }

  public boolean hasRole(String role) {
    return roles.contains(role);
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject()
        .put("node", node)
        .put("roles", new JsonArray(List.copyOf(roles)))
        .put("started_at", startedAt == null ? null : startedAt.toString())
        .put("seq", seq)
        .put("serving", new JsonArray(List.copyOf(serving)))
        .put("caches", new JsonArray(List.copyOf(caches)))
        .put("replicator", replicator)
        .put("oplog", oplog);
  }

  public static NodeHeartbeat fromJson(JsonObject json) {
    String started = json.getString("started_at");
    return new NodeHeartbeat(
        json.getString("node"),
        strings(json.getJsonArray("roles")),
        started == null ? null : Instant.parse(started),
        json.getLong("seq", 0L),
        strings(json.getJsonArray("serving")),
        strings(json.getJsonArray("caches")),
        json.getJsonObject("replicator"),
        json.getJsonObject("oplog"));
  }

  private static List<String> strings(JsonArray arr) {
    return arr == null ? List.of() : arr.stream().map(String::valueOf).toList();
  }
}
