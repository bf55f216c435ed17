package io.emcachers.launcher;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.emcachers.launcher.config.LaunchConfig;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

/**
 * Hazelcast cluster manager from the {@code cluster} config section: TCP-IP join to the listed
 * members, multicast off.
 */
final class ClusterFactory {

  private ClusterFactory() {}

  static HazelcastClusterManager clusterManager(LaunchConfig cfg) {
    Config config = ConfigUtil.loadConfig();
    config.setClusterName(cfg.clusterName());
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.logging.type", "slf4j");
    // a member that stops answering (SIGKILL, SIGSTOP, a cut network) leaves the cluster, and its
    // event-bus registrations with it, after member_failure_timeout_ms instead of Hazelcast's 60 s
    config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    config.setProperty(
        "hazelcast.max.no.heartbeat.seconds",
        String.valueOf(Math.max(2, (cfg.memberFailureTimeoutMs() + 999) / 1000)));
    config.getNetworkConfig().setPort(cfg.clusterPort()).setPortAutoIncrement(true);
    config.getNetworkConfig().setPublicAddress(null);
    JoinConfig join = config.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(cfg.clusterMembers());
    return new HazelcastClusterManager(config);
  }
}
