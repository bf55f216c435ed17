package io.emcachers.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scale stage's apply part (issue 13): replicator nodes in their own JVMs in replica mode
 * (every node holds every entity), clustered over Hazelcast (TCP-IP join on loopback) with one
 * leader JVM (oplog + listener) that serves their oplog reads over the clustered bus — the README's
 * "3-node cluster on one machine", in replica mode.
 *
 * <p>The oplog is filled straight with COPY (the raw limit's generator, {@code --entities}-many
 * entities round-robin) in one transaction, so its rows become visible to every node at one commit.
 * Each node is timed from that commit until every one of its caches' {@code last_oplog_id} reaches
 * its entity's last id (read from the SQLite files, as the apply stage does), and its JVM's CPU
 * over the same interval is read from {@code /proc}. First with {@code --scale-nodes} replicator
 * nodes, then, after all but the first stopped, with that one alone; before each measured fill a
 * warm-up fill runs through the same nodes. The single node's caches then hold more rows than in
 * the first run, which if anything slows the single run and so could favour the ratio slightly.
 */
final class ScaleApply {

  private static final Logger LOG = LoggerFactory.getLogger("emcachers.bench");

  static final String DB = "bench_scale";

  /** Replicators look for new rows this often: the COPY commit publishes no wake-up. */
  static final int POLL_INTERVAL_MS = 50;

  /** The longest wait for a node to reach the oplog head. */
  static final long MAX_WAIT_MINUTES = 10;

  private final BenchMain opts;
  private final BenchEnv env;
  private final ScaleStage.Nodes nodes;
  private final List<String> entities = new ArrayList<>();
  private final Map<String, List<CacheProbe>> probes = new HashMap<>();
  private long nextDoc;

  ScaleApply(BenchMain opts, BenchEnv env, ScaleStage.Nodes nodes) {
    this.opts = opts;
    this.env = env;
    this.nodes = nodes;
  }

  JsonObject run() throws Exception {
    long rows = opts.scaleRows;
    int count = opts.scaleNodes;
    long warm = Math.max(20_000, Math.min(rows / 5, 100_000));
    Pipeline.createDatabase(env.pg().jdbcUrl(), DB);
    Path dir = env.work().resolve("scale-apply");
    Files.createDirectories(dir);
    JsonArray defs = new JsonArray();
    for (int i = 0; i < opts.scaleEntities; i++) {
      String name = "scale_e" + i;
      String collection = "bench_scale_src_" + i;
      env.mongo().command("fill-stream app " + collection + " 0"); // an empty source collection
      entities.add(name);
      defs.add(Docs.entityDefinition(name, collection));
    }
    Path entitiesFile = dir.resolve("entities.json");
    Files.writeString(entitiesFile, defs.encode());

    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i <= count; i++) {
      ports.add(ScaleStage.freePort());
    }
    String members = String.join(",", ports.stream().map(p -> "127.0.0.1:" + p).toList());
    String cluster = "emc-bench-" + UUID.randomUUID();
    List<AppNode> started = new ArrayList<>();
    try {
      // every JVM starts at once (a clustered start costs ~15 s of Hazelcast join on this machine);
      // the N-node run goes first, then N-1 nodes stop and the remaining one runs alone
      AppNode leader =
          start(dir, "leader", "oplog,listener", ports.get(0), members, cluster, entitiesFile);
      started.add(leader);
      List<AppNode> many = new ArrayList<>();
      for (int i = 1; i <= count; i++) {
        AppNode r = start(dir, "r" + i, "replicator", ports.get(i), members, cluster, null);
        started.add(r);
        many.add(r);
      }
      for (AppNode n : started) {
        n.awaitReady(180_000);
      }
      awaitLive(leader);
      // the warm-up creates the caches (an entity that went live after the node's first pass gets
      // its cache with its first row), so the measured fill only applies
      fillAndAwait(many, warm, leader);
      LOG.info(
          "scale: {} rows over {} entities, {} replicator nodes", rows, entities.size(), count);
      JsonObject multi = measure(many, rows, leader);

      List<AppNode> one = List.of(many.get(0));
      for (AppNode r : many.subList(1, many.size())) {
        r.close();
      }
      fillAndAwait(one, warm, leader);
      LOG.info("scale: {} rows over {} entities, 1 replicator node", rows, entities.size());
      JsonObject single = measure(one, rows, leader);
      return compare(single, multi, warm);
    } finally {
      for (int i = started.size() - 1; i >= 0; i--) { // replicators first, the leader last
        started.get(i).close();
      }
      probes.values().forEach(l -> l.forEach(CacheProbe::close));
    }
  }

  private AppNode start(
      Path dir,
      String id,
      String roles,
      int clusterPort,
      String members,
      String cluster,
      Path entitiesFile)
      throws Exception {
    Map<String, String> e = nodes.env();
    e.put("EMC_ROLES", roles);
    e.put("EMC_CLUSTER_ENABLED", "true");
    e.put("EMC_CLUSTER_NAME", cluster);
    e.put("EMC_CLUSTER_PORT", String.valueOf(clusterPort));
    e.put("EMC_CLUSTER_MEMBERS", members);
    e.put("EMC_REPLICATOR_MODE", "replica");
    e.put("EMC_REPLICATOR_POLL_INTERVAL_MS", String.valueOf(POLL_INTERVAL_MS));
    List<String> args = nodes.args(env.pgUrl(DB));
    if (entitiesFile != null) {
      args.addAll(List.of("--entities", entitiesFile.toString()));
    }
    AppNode node =
        AppNode.start(nodes.launch(), id, dir.resolve(id), dir.resolve(id + ".log"), 0, args, e);
    probes.put(id, entities.stream().map(n -> new CacheProbe(node.dataDir(), n)).toList());
    return node;
  }

  /** The listener scans the empty source collections, which makes every entity live. */
  private void awaitLive(AppNode leader) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    try (Connection c = DriverManager.getConnection(env.jdbc(DB));
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT count(*) FROM entities WHERE status = 'live' AND name = ANY(?)")) {
      ps.setArray(1, c.createArrayOf("text", entities.toArray()));
      while (true) {
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (rs.getLong(1) == entities.size()) {
            return;
          }
        }
        if (System.nanoTime() > deadline || !leader.alive()) {
          throw new IllegalStateException("scale: entities not live within 120 s" + leader.tail());
        }
        Thread.sleep(50);
      }
    }
  }

  /**
   * COPY of {@code rows} new documents into the oplog in one transaction; returns each entity's
   * last id.
   */
  private List<Long> fill(long rows) throws Exception {
    try (Connection c = DriverManager.getConnection(env.jdbc(DB))) {
      c.setAutoCommit(false);
      RawLimits.copy(c, "oplog", entities, nextDoc, rows);
      c.commit();
      nextDoc += rows;
      return Pipeline.maxIds(c, entities);
    }
  }

  private List<Long> targets() throws Exception {
    try (Connection c = DriverManager.getConnection(env.jdbc(DB))) {
      return Pipeline.maxIds(c, entities);
    }
  }

  private void fillAndAwait(List<AppNode> on, long rows, AppNode leader) throws Exception {
    awaitHead(on, fill(rows), leader);
  }

  /**
   * Waits until every cache of every node in {@code on} reaches its entity's target id and the
   * node's own offset reaches the head: a node that bootstraps (offset 0) builds its caches, then
   * sweeps the compacted state up to the head, and a fill measured before that sweep ends would be
   * applied by the sweep instead of the replication loop.
   */
  private void awaitHead(List<AppNode> on, List<Long> targets, AppNode leader) throws Exception {
    long head = targets.stream().mapToLong(Long::longValue).max().orElse(0);
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(MAX_WAIT_MINUTES);
    for (AppNode n : on) {
      while (!atHead(n, targets) || nodeOffset(n) < head) {
        check(n, leader, deadline);
        Thread.sleep(20);
      }
    }
  }

  /** The node's replication offset ({@code meta.sqlite}, key {@code pg_oplog_offset}), or -1. */
  private static long nodeOffset(AppNode n) {
    Path meta = n.dataDir().resolve("meta.sqlite");
    if (!Files.exists(meta)) {
      return -1;
    }
    org.sqlite.SQLiteConfig cfg = new org.sqlite.SQLiteConfig();
    cfg.setReadOnly(true);
    cfg.setBusyTimeout(1000);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + meta, cfg.toProperties());
        PreparedStatement ps =
            c.prepareStatement("SELECT value FROM metadata WHERE key = 'pg_oplog_offset'");
        ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Long.parseLong(rs.getString(1).trim()) : -1;
    } catch (Exception e) {
      return -1; // not created yet
    }
  }

  private boolean atHead(AppNode n, List<Long> targets) {
    List<CacheProbe> ps = probes.get(n.id());
    for (int i = 0; i < ps.size(); i++) {
      if (ps.get(i).lastOplogId() < targets.get(i)) {
        return false;
      }
    }
    return true;
  }

  private static void check(AppNode n, AppNode leader, long deadline) {
    if (!n.alive()) {
      throw new IllegalStateException("scale: node " + n.id() + " exited" + n.tail());
    }
    if (!leader.alive()) {
      throw new IllegalStateException("scale: the leader node exited" + leader.tail());
    }
    if (System.nanoTime() > deadline) {
      throw new IllegalStateException(
          "scale: node "
              + n.id()
              + " did not reach the oplog head within "
              + MAX_WAIT_MINUTES
              + " minutes"
              + n.tail());
    }
  }

  /** One measured fill: every node timed and its CPU read from the commit to its head. */
  private JsonObject measure(List<AppNode> on, long rows, AppNode leader) throws Exception {
    List<Long> targets;
    double[] cpu0 = new double[on.size()];
    double leaderCpu0;
    CpuMeter meter = new CpuMeter(env.mongo().pid());
    long fillStart;
    long t0;
    try (Connection c = DriverManager.getConnection(env.jdbc(DB))) {
      c.setAutoCommit(false);
      fillStart = System.nanoTime();
      RawLimits.copy(c, "oplog", entities, nextDoc, rows);
      for (int i = 0; i < on.size(); i++) {
        cpu0[i] = on.get(i).cpuSeconds();
      }
      leaderCpu0 = leader.cpuSeconds();
      meter.start();
      c.commit();
      t0 = System.nanoTime();
      nextDoc += rows;
      targets = Pipeline.maxIds(c, entities);
    }
    double fillSeconds = (t0 - fillStart) / 1e9;
    long[] done = new long[on.size()];
    double[] cpu = new double[on.size()];
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(MAX_WAIT_MINUTES);
    int remaining = on.size();
    while (remaining > 0) {
      for (int i = 0; i < on.size(); i++) {
        if (done[i] == 0 && atHead(on.get(i), targets)) {
          done[i] = System.nanoTime();
          cpu[i] = on.get(i).cpuSeconds() - cpu0[i];
          remaining--;
        } else if (done[i] == 0) {
          check(on.get(i), leader, deadline);
        }
      }
      Thread.sleep(5);
    }
    JsonObject window = meter.stop();
    double leaderCpu = leader.cpuSeconds() - leaderCpu0;
    JsonArray perNode = new JsonArray();
    double nodesCpu = 0;
    double last = 0;
    for (int i = 0; i < on.size(); i++) {
      AppNode n = on.get(i);
      long held = 0;
      for (CacheProbe p : probes.get(n.id())) {
        held += p.count();
      }
      if (held != nextDoc) {
        throw new IllegalStateException(
            "scale: node " + n.id() + " holds " + held + " rows, expected " + nextDoc);
      }
      double s = (done[i] - t0) / 1e9;
      last = Math.max(last, s);
      nodesCpu += cpu[i];
      perNode.add(
          new JsonObject()
              .put("node", n.id())
              .put("seconds", BenchMain.round(s, 3))
              .put("rows_per_s", Math.round(rows / s))
              .put("cpu_s", BenchMain.round(cpu[i], 2))
              .put("cores", BenchMain.round(cpu[i] / s, 2))
              .put("rows_per_cpu_s", Math.round(rows / Math.max(0.01, cpu[i])))
              .put("rows_held", held));
    }
    // the meter counts this JVM, MongoDB and postgres; the node JVMs fall under its "other"
    double other = window.getDouble("other_cpu_s") - nodesCpu - leaderCpu;
    double pg = window.getDouble("postgres_cpu_s");
    return new JsonObject()
        .put("nodes", on.size())
        .put("rows", rows)
        .put("entities", entities.size())
        .put("fill_seconds", BenchMain.round(fillSeconds, 3))
        .put("per_node", perNode)
        .put("aggregate_rows_per_s", Math.round(rows * on.size() / last))
        .put(
            "cpu",
            new JsonObject()
                .put("wall_s", window.getDouble("wall_s"))
                .put("replicator_jvms_cpu_s", BenchMain.round(nodesCpu, 2))
                .put("leader_jvm_cpu_s", BenchMain.round(leaderCpu, 2))
                .put("postgres_cpu_s", pg)
                .put("mongo_jvm_cpu_s", window.getDouble("mongo_jvm_cpu_s"))
                .put("bench_jvm_cpu_s", window.getDouble("pipeline_jvm_cpu_s"))
                .put("other_cpu_s", BenchMain.round(Math.max(0, other), 2))
                .put("machine_busy", window.getDouble("machine_busy")))
        .put(
            "cluster_cpu_s_per_million_row_applies",
            BenchMain.round((nodesCpu + leaderCpu + pg) / (rows * on.size()) * 1e6, 2));
  }

  private JsonObject compare(JsonObject single, JsonObject multi, long warm) {
    JsonObject base = single.getJsonArray("per_node").getJsonObject(0);
    double rate1 = base.getLong("rows_per_s");
    double perCpu1 = base.getLong("rows_per_cpu_s");
    double sumRate = 0;
    double sumNorm = 0;
    double minNorm = Double.MAX_VALUE;
    JsonArray nodes = multi.getJsonArray("per_node");
    for (int i = 0; i < nodes.size(); i++) {
      JsonObject n = nodes.getJsonObject(i);
      double norm = n.getLong("rows_per_cpu_s") / perCpu1;
      n.put("normalised_ratio", BenchMain.round(norm, 3));
      sumRate += n.getLong("rows_per_s");
      sumNorm += norm;
      minNorm = Math.min(minNorm, norm);
    }
    int k = nodes.size();
    return new JsonObject()
        .put("topology", "1 leader JVM (oplog, listener) + replicator JVMs, Hazelcast TCP-IP")
        .put("mode", "replica")
        .put("warmup_rows", warm)
        .put("poll_interval_ms", POLL_INTERVAL_MS)
        .put(
            "timed_from",
            "the COPY commit that makes the rows visible, until every cache of the node has its entity's last oplog id")
        .put("one_node", single)
        .put("many_nodes", multi)
        .put("ratio_per_node_rate", BenchMain.round(sumRate / k / rate1, 3))
        .put("ratio_cpu_normalised", BenchMain.round(sumNorm / k, 3))
        .put("min_ratio_cpu_normalised", BenchMain.round(minNorm, 3))
        .put(
            "normalised_as",
            "each node's rows per CPU-second of its JVM (rows/s divided by the cores it got), against the single node's; ratio = mean over the nodes");
  }
}
