package io.emcachers.launcher.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** The launcher's own part of the root config: data dir, node id, roles and clustering. */
public record LaunchConfig(
    Path dataDir,
    String nodeId,
    Set<String> roles,
    boolean clustered,
    String clusterName,
    int clusterPort,
    List<String> clusterMembers,
    String clusterHost,
    long memberFailureTimeoutMs) {

  public static final Set<String> ALL_ROLES = Set.of("listener", "oplog", "replicator", "api");
  public static final String DEFAULT_CLUSTER_NAME = "emcachers";
  public static final int DEFAULT_CLUSTER_PORT = 5701;

  public static LaunchConfig fromJson(JsonObject root) {
    String dir = root.getString("data_dir");
    if (dir == null || dir.isBlank()) {
      throw new IllegalArgumentException("data_dir must be a directory path");
    }
    String nodeId = root.getString("node_id");
    if (nodeId == null || nodeId.isBlank()) {
      nodeId =
          ManagementFactory.getRuntimeMXBean().getName().replace('@', '-')
              + "-"
              + UUID.randomUUID().toString().substring(0, 8);
    }
    Object rolesValue = root.getValue("roles");
    if (!(rolesValue instanceof JsonArray rolesArr) || rolesArr.isEmpty()) {
      throw new IllegalArgumentException("roles must be a non-empty array of " + ALL_ROLES);
    }
    Set<String> roles = new LinkedHashSet<>();
    for (Object r : rolesArr) {
      if (!(r instanceof String s) || !ALL_ROLES.contains(s)) {
        throw new IllegalArgumentException(
            "roles: unknown role '" + r + "', expected some of " + ALL_ROLES);
      }
      roles.add(s);
    }
    JsonObject cluster = root.getJsonObject("cluster", new JsonObject());
    int port = cluster.getInteger("port", DEFAULT_CLUSTER_PORT);
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("cluster.port must be 1..65535, got " + port);
    }
    List<String> members = new ArrayList<>();
    cluster
        .getJsonArray("members", new JsonArray().add("127.0.0.1"))
        .forEach(m -> members.add(String.valueOf(m)));
    return new LaunchConfig(
        Path.of(dir).toAbsolutePath().normalize(),
        nodeId,
        roles,
        cluster.getBoolean("enabled", false),
        cluster.getString("name", DEFAULT_CLUSTER_NAME),
        port,
        members,
        cluster.getString("host", "127.0.0.1"),
        memberFailureTimeout(cluster));
  }

  public static final long DEFAULT_MEMBER_FAILURE_TIMEOUT_MS = 10_000;

  private static long memberFailureTimeout(JsonObject cluster) {
    Object v = cluster.getValue("member_failure_timeout_ms");
    if (v == null) {
      return DEFAULT_MEMBER_FAILURE_TIMEOUT_MS;
    }
    if (!(v instanceof Number n) || n.longValue() < 1000 || n.longValue() > 600_000) {
      throw new IllegalArgumentException(
          "cluster.member_failure_timeout_ms must be an integer from 1000 to 600000, got " + v);
    }
    return n.longValue();
  }

  public boolean has(String role) {
    return roles.contains(role);
  }
}
