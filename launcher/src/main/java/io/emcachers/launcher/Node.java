package io.emcachers.launcher;

import io.emcachers.api.ApiVerticle;
import io.emcachers.cache.CacheDbVerticle;
import io.emcachers.launcher.cluster.HeartbeatVerticle;
import io.emcachers.launcher.config.LaunchConfig;
import io.emcachers.listener.ListenerVerticle;
import io.emcachers.oplog.OplogVerticle;
import io.emcachers.replicator.ReplicatorVerticle;
import io.emcachers.verify.VerifyVerticle;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deploys the verticles of a node's roles in dependency order (oplog, cache-db manager, replicator,
 * listener, api, then the heartbeat every node publishes) and undeploys them in the order that
 * keeps data safe: the heartbeat first (its last beat tells the cluster the node leaves), the
 * listener (streams stop, in-flight batches are acked or abandoned; unacked batches are re-read
 * from the stored token on restart), then the API, replicator, cache-db manager and oplog.
 */
public final class Node {

  private static final Logger LOG = LoggerFactory.getLogger(Node.class);

  /** A verticle of a role. */
  record Component(String role, String name, Supplier<Deployable> factory) {}

  static final List<Component> DEPLOY_ORDER =
      List.of(
          new Component("oplog", "oplog", OplogVerticle::new),
          new Component("replicator", "cache-db", CacheDbVerticle::new),
          new Component("replicator", "replicator", ReplicatorVerticle::new),
          new Component("replicator", "verify", VerifyVerticle::new),
          new Component("listener", "listener", ListenerVerticle::new),
          new Component("api", "api", ApiVerticle::new),
          // every node, whatever its roles: announces the node once the rest is up
          new Component(null, "heartbeat", HeartbeatVerticle::new));

  static final List<String> UNDEPLOY_ORDER =
      List.of("heartbeat", "listener", "api", "verify", "replicator", "cache-db", "oplog");

  private final Vertx vertx;
  private final JsonObject config;
  private final LaunchConfig launch;
  private final Deque<String[]> deployed = new ArrayDeque<>();

  public Node(Vertx vertx, JsonObject config, LaunchConfig launch) {
    this.vertx = vertx;
    this.config = config;
    this.launch = launch;
  }

  public Future<Void> deploy() {
    Future<Void> chain = Future.succeededFuture();
    int step = 0;
    for (Component c : DEPLOY_ORDER) {
      if (c.role() != null && !launch.has(c.role())) {
        continue;
      }
      int n = ++step;
      chain =
          chain.compose(
              v -> {
                LOG.info("deploy step {}: {}", n, c.name());
                return vertx
                    .deployVerticle(c.factory().get(), new DeploymentOptions().setConfig(config))
                    .onSuccess(id -> deployed.push(new String[] {c.name(), id}))
                    .recover(
                        err ->
                            Future.failedFuture(
                                new IllegalStateException(
                                    "could not start " + c.name() + ": " + err.getMessage(), err)))
                    .mapEmpty();
              });
    }
    return chain;
  }

  /**
   * Undeploys in the safe order; each step is bounded so a stuck component cannot hold shutdown
   * forever.
   */
  public Future<Void> undeploy(Duration perStep) {
    Future<Void> chain = Future.succeededFuture();
    for (String name : UNDEPLOY_ORDER) {
      for (String[] d : deployed) {
        if (d[0].equals(name)) {
          chain =
              chain.compose(
                  v -> {
                    LOG.info("stopping {}", name);
                    return vertx
                        .undeploy(d[1])
                        .timeout(perStep.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                        .recover(
                            err -> {
                              LOG.warn("{} did not stop cleanly: {}", name, err.toString());
                              return Future.succeededFuture();
                            });
                  });
        }
      }
    }
    return chain.onComplete(ar -> deployed.clear());
  }
}
