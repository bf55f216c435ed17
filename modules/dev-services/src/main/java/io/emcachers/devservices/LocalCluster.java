package io.emcachers.devservices;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

/**
 * Hazelcast-clustered Vert.x nodes on loopback: TCP-IP join to 127.0.0.1, multicast off, the event
 * bus bound to 127.0.0.1. Used by the cluster tests; the launcher builds its cluster config the
 * same way.
 */
public final class LocalCluster {

  private LocalCluster() {}

  /** Hazelcast config for a loopback-only cluster named {@code clusterName}. */
  public static Config hazelcastConfig(String clusterName, int basePort) {
    Config config = ConfigUtil.loadConfig();
    config.setClusterName(clusterName);
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.getNetworkConfig().setPort(basePort).setPortAutoIncrement(true);
    config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    JoinConfig join = config.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).addMember("127.0.0.1");
    return config;
  }

  /** Starts one clustered Vert.x node of {@code clusterName} on loopback. */
  public static Future<Vertx> startNode(String clusterName, int basePort) {
    HazelcastClusterManager manager =
        new HazelcastClusterManager(hazelcastConfig(clusterName, basePort));
    VertxOptions options =
        new VertxOptions()
            .setEventBusOptions(
                new EventBusOptions().setHost("127.0.0.1").setClusterPublicHost("127.0.0.1"));
    return Vertx.builder().with(options).withClusterManager(manager).buildClustered();
  }
}
