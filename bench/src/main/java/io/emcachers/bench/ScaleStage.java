package io.emcachers.bench;

import io.emcachers.launcher.config.ConfigLoader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scale stage (issue 13), every node a separate app JVM on this machine: apply throughput per
 * replicator node with one and with {@code --scale-nodes} nodes on the same oplog ({@link
 * ScaleApply}), and the leader's failover after a SIGKILL and after a SIGSTOP ({@link
 * ScaleFailover}). Recorded as {@code stages.scale} with the machine's load average before and
 * after, since the nodes share this machine's cores with everything else on it.
 */
final class ScaleStage {

  private static final Logger LOG = LoggerFactory.getLogger("emcachers.bench");

  static final String API_KEY = "bench-scale-key-0123456789abcdef";

  /** {@code --quick}: a short lease, so the SIGSTOP takeover takes seconds, not ten. */
  static final JsonObject QUICK_LEASE =
      new JsonObject().put("lease_ttl_ms", 6000).put("lease_renew_ms", 1000);

  private ScaleStage() {}

  /**
   * How every node of the stage is started: the app, the child config file (the run's {@code --set}
   * overrides), the source URL and the API key; each part adds its roles, ports and node id.
   */
  record Nodes(AppNode.Launch launch, Path configFile, String mongoUrl) {

    Map<String, String> env() {
      Map<String, String> e = new HashMap<>();
      e.put("EMC_API_KEY", API_KEY);
      return e;
    }

    List<String> args(String pgUrl) {
      List<String> a = new ArrayList<>(List.of("--pg-url", pgUrl, "--mongo-url", mongoUrl));
      if (configFile != null) {
        a.addAll(List.of("--config", configFile.toString()));
      }
      return a;
    }
  }

  static void run(BenchMain opts, BenchEnv env, JsonObject stages) throws Exception {
    JsonObject scale = new JsonObject(); // recorded at the end: a setup failure is BenchRun's
    scale.put("load_average_before", loadAverage());
    JsonObject child = new JsonObject();
    if (opts.quick) {
      child.put("oplog", QUICK_LEASE.copy());
    }
    Pipeline.deepMerge(child, env.overrides());
    Path configFile = null;
    if (!child.isEmpty()) {
      configFile = env.work().resolve("scale-config.json");
      Files.writeString(configFile, child.encodePrettily());
    }
    JsonObject effective = ConfigLoader.defaults();
    Pipeline.deepMerge(effective, child);
    JsonObject oplog = effective.getJsonObject("oplog");
    JsonObject lease =
        new JsonObject()
            .put("lease_ttl_ms", oplog.getValue("lease_ttl_ms"))
            .put("lease_renew_ms", oplog.getValue("lease_renew_ms"))
            .put("standby_retry_ms", oplog.getValue("standby_retry_ms"));
    AppNode.Launch launch = AppNode.Launch.of(opts.appJar, opts.nodeHeap);
    LOG.info("scale: nodes run {} with -Xmx{}", launch.describe(), opts.nodeHeap);
    scale
        .put("app", launch.describe())
        .put("node_heap", opts.nodeHeap)
        .put("node_config_overrides", child)
        .put("lease", lease)
        .put("default_lease", defaultLease(lease));
    Nodes nodes = new Nodes(launch, configFile, env.mongo().url("app"));
    List<String> errors = new ArrayList<>();
    try {
      scale.put("apply", new ScaleApply(opts, env, nodes).run());
    } catch (Exception e) {
      LOG.error("scale: apply failed: {}", e.toString(), e);
      scale.put("apply", new JsonObject().put("error", String.valueOf(e)));
      errors.add("apply: " + e);
    }
    try {
      scale.put("failover", new ScaleFailover(opts, env, nodes).run());
    } catch (Exception e) {
      LOG.error("scale: failover failed: {}", e.toString(), e);
      scale.put("failover", new JsonObject().put("error", String.valueOf(e)));
      errors.add("failover: " + e);
    }
    scale.put("load_average_after", loadAverage());
    scale.put(
        "full_size", opts.scaleRows >= 100_000 && opts.scaleNodes >= 3 && defaultLease(lease));
    if (!errors.isEmpty()) {
      scale.put("error", String.join("; ", errors));
    }
    stages.put("scale", scale);
  }

  private static boolean defaultLease(JsonObject lease) {
    JsonObject d = ConfigLoader.defaults().getJsonObject("oplog");
    return lease.getValue("lease_ttl_ms").equals(d.getValue("lease_ttl_ms"))
        && lease.getValue("lease_renew_ms").equals(d.getValue("lease_renew_ms"))
        && lease.getValue("standby_retry_ms").equals(d.getValue("standby_retry_ms"));
  }

  /** {@code /proc/loadavg}: the 1, 5 and 15 minute load averages (empty when not on Linux). */
  static JsonArray loadAverage() {
    JsonArray a = new JsonArray();
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      for (int i = 0; i < 3; i++) {
        a.add(Double.parseDouble(f[i]));
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return a;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
