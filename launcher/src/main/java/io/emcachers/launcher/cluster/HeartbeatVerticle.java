package io.emcachers.launcher.cluster;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.client.CacheClient;
import io.emcachers.core.client.OplogClient;
import io.emcachers.core.client.ReplicatorClient;
import io.emcachers.core.cluster.MembershipConfig;
import io.emcachers.core.config.ConfigValues;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.NodeHeartbeat;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/**
 * Publishes this node's {@link NodeHeartbeat} on {@code emc.cluster.heartbeat} every {@code
 * cluster.heartbeat_ms}: its roles, the caches it holds and serves (cache-db health), its
 * replicator's summary and whether its oplog verticle leads — each asked node-locally, each
 * optional (a missing role or a slow answer leaves that part out of this beat). Deployed on every
 * node, last; at stop it publishes a last beat without roles, so the others stop assigning to it at
 * once instead of after {@code stale_after_ms}.
 */
public final class HeartbeatVerticle extends VerticleBase {

  private final Instant startedAt = Instant.now();
  private MembershipConfig config;
  private String nodeId;
  private List<String> roles;
  private long seq;
  private long timerId = -1;
  private boolean beating;

  @Override
  public Future<?> start() {
    config = MembershipConfig.fromJson(config());
    nodeId = ConfigValues.nodeId(config());
    JsonArray r = config().getJsonArray("roles", new JsonArray());
    roles = r.stream().map(String::valueOf).sorted().toList();
    timerId = vertx.setPeriodic(1, config.heartbeatMs(), t -> beat());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timerId);
    vertx
        .eventBus()
        .publish(
            Addresses.CLUSTER_HEARTBEAT,
            new NodeHeartbeat(
                nodeId, List.of(), startedAt, ++seq, List.of(), List.of(), null, null));
    return Future.succeededFuture();
  }

  private void beat() {
    if (beating) {
      return; // the previous beat still waits for an answer
    }
    beating = true;
    long timeout = Math.max(50, config.heartbeatMs() - 50);
    Future<HealthReply> cache =
        roles.contains("replicator")
            ? new CacheClient(vertx.eventBus()).health(timeout)
            : Future.succeededFuture();
    Future<HealthReply> replicator =
        roles.contains("replicator")
            ? new ReplicatorClient(vertx.eventBus()).stats(timeout)
            : Future.succeededFuture();
    Future<HealthReply> oplog =
        roles.contains("oplog")
            ? new OplogClient(vertx.eventBus()).leaderLocal(timeout)
            : Future.succeededFuture();
    Future.join(cache, replicator, oplog)
        .onComplete(
            x -> {
              beating = false;
              JsonObject c = details(cache);
              vertx
                  .eventBus()
                  .publish(
                      Addresses.CLUSTER_HEARTBEAT,
                      new NodeHeartbeat(
                          nodeId,
                          roles,
                          startedAt,
                          ++seq,
                          strings(c.getJsonArray("serving")),
                          strings(c.getJsonArray("caches")),
                          replicatorSummary(replicator),
                          oplogSummary(oplog)));
            });
  }

  private static JsonObject details(Future<HealthReply> f) {
    return f.succeeded() && f.result() != null ? f.result().details() : new JsonObject();
  }

  private static JsonObject replicatorSummary(Future<HealthReply> f) {
    if (!f.succeeded() || f.result() == null) {
      return null;
    }
    JsonObject d = f.result().details().copy();
    d.remove("jobs");
    d.remove("recreate_jobs");
    return d.put("ok", f.result().ok()).put("state", f.result().state());
  }

  private static JsonObject oplogSummary(Future<HealthReply> f) {
    if (!f.succeeded() || f.result() == null) {
      return null;
    }
    JsonObject d = f.result().details();
    return new JsonObject()
        .put("leader", d.getBoolean("leader", false))
        .put("leader_epoch", d.getLong("leader_epoch", 0L))
        .put("state", d.getString("state"))
        .put("lease", d.getJsonObject("lease"));
  }

  private static List<String> strings(JsonArray arr) {
    return arr == null ? List.of() : arr.stream().map(String::valueOf).sorted().toList();
  }
}
