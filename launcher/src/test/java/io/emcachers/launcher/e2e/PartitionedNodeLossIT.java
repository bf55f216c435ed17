package io.emcachers.launcher.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.devservices.DevMongo;
import io.emcachers.devservices.DevPostgres;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.MongoClient;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Partitioned replicators in separate JVMs on loopback (Hazelcast TCP-IP join, multicast off): one
 * leader node (oplog, listener, API) and three replicator nodes, 6 entities with 2 holders each,
 * writes flowing throughout. One replicator node is killed with SIGKILL: its entities are
 * reassigned to the other two, and reads of every entity through the leader's API keep answering
 * 200 through the change. The node is restarted on its data dir: the assignment returns to three
 * nodes, the nodes that no longer hold an entity drop its file once its holders serve it, and every
 * holder's cache equals the source.
 */
class PartitionedNodeLossIT {

  static final String KEY = "partition-test-key";
  static final int ENTITIES = 6;
  static DevPostgres pg;
  static DevMongo mongoServer;
  static Vertx vertx;
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  @TempDir static Path work;

  @BeforeAll
  static void start() {
    pg = DevPostgres.startTemporary();
    mongoServer = DevMongo.start(0);
    vertx = Vertx.vertx();
    CrashRecoveryIT.mongo =
        MongoClient.createShared(
            vertx, new JsonObject().put("connection_string", mongoServer.url("app")), "partition");
  }

  @AfterAll
  static void stop() {
    if (vertx != null) {
      vertx.close();
    }
    if (mongoServer != null) {
      mongoServer.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  record Node(String id, Path data, Path log, int clusterPort) {}

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  Process launch(
      Node node, String roles, String members, String cluster, Path entities, int httpPort)
      throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("EMC_API_KEY", KEY);
    env.put("EMC_NODE_ID", node.id());
    env.put("EMC_ROLES", roles);
    env.put("EMC_CLUSTER_ENABLED", "true");
    env.put("EMC_CLUSTER_NAME", cluster);
    env.put("EMC_CLUSTER_PORT", String.valueOf(node.clusterPort()));
    env.put("EMC_CLUSTER_MEMBERS", members);
    env.put("EMC_CLUSTER_HEARTBEAT_MS", "500");
    env.put("EMC_CLUSTER_STALE_AFTER_MS", "2500");
    env.put("EMC_CLUSTER_MEMBER_FAILURE_TIMEOUT_MS", "4000");
    env.put("EMC_REPLICATOR_MODE", "partitioned");
    env.put("EMC_REPLICATOR_REPLICAS", "2");
    env.put("EMC_REPLICATOR_POLL_INTERVAL_MS", "200");
    return AppProcess.start(
        mongoServer, pg, node.data(), entities, node.log(), httpPort, "320m", env);
  }

  static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Authorization", "Bearer " + KEY)
            .timeout(Duration.ofSeconds(30))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** entity → the live nodes that hold it as assigned and serve it, from {@code /api/cluster}. */
  static Map<String, Set<String>> servingHolders(int port) throws Exception {
    HttpResponse<String> r = get(port, "/api/cluster");
    Map<String, Set<String>> out = new TreeMap<>();
    if (r.statusCode() != 200) {
      return out;
    }
    JsonObject assignment = new JsonObject(r.body()).getJsonObject("assignment");
    for (String entity : assignment.fieldNames()) {
      for (Object o : assignment.getJsonArray(entity)) {
        JsonObject h = (JsonObject) o;
        if ("assigned".equals(h.getString("role")) && h.getBoolean("serving", false)) {
          out.computeIfAbsent(entity, k -> new TreeSet<>()).add(h.getString("node"));
        }
      }
    }
    return out;
  }

  /**
   * The documented rule, computed here independently: the 2 nodes with the highest first 8 bytes
   * (unsigned) of SHA-256(entity NUL node).
   */
  static Set<String> expectedHolders(String entity, Set<String> nodes) throws Exception {
    Map<java.math.BigInteger, String> byWeight = new TreeMap<>(java.util.Comparator.reverseOrder());
    for (String n : nodes) {
      byte[] d =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest((entity + "\u0000" + n).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      byWeight.put(new java.math.BigInteger(1, java.util.Arrays.copyOf(d, 8)), n);
    }
    return new TreeSet<>(byWeight.values().stream().limit(2).toList());
  }

  /**
   * Whether exactly {@code nodes} are the live replicators, each has settled on that member list,
   * none retains an entity it lost, and every entity is served by its expected holders.
   */
  static boolean settled(int port, Set<String> nodes) throws Exception {
    HttpResponse<String> r = get(port, "/api/cluster");
    if (r.statusCode() != 200) {
      return false;
    }
    JsonObject body = new JsonObject(r.body());
    Set<String> live = new TreeSet<>();
    for (Object o : body.getJsonArray("members")) {
      JsonObject m = (JsonObject) o;
      JsonObject p = m.getJsonObject("partition");
      if (m.getBoolean("stale") || p == null) {
        continue;
      }
      live.add(m.getString("node"));
      if (!p.getBoolean("settled")
          || !new TreeSet<>(p.getJsonArray("members").getList()).equals(nodes)
          || !p.getJsonArray("retained").isEmpty()) {
        return false;
      }
    }
    if (!live.equals(nodes)) {
      return false;
    }
    Map<String, Set<String>> holders = servingHolders(port);
    for (int i = 0; i < ENTITIES; i++) {
      if (!expectedHolders("p" + i, nodes).equals(holders.getOrDefault("p" + i, Set.of()))) {
        return false;
      }
    }
    return true;
  }

  @Test
  void aKilledReplicatorsEntitiesAreReassignedWhileReadsKeepAnsweringAndEveryHolderConverges()
      throws Exception {
    JsonArray defs = new JsonArray();
    for (int i = 0; i < ENTITIES; i++) {
      defs.add(LeaderHangIT.itemsEntity().put("name", "p" + i));
    }
    Path entities = work.resolve("entities.json");
    Files.writeString(entities, defs.encode());
    List<Future<?>> seed = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      seed.add(CrashRecoveryIT.mongo.insert("items", CrashRecoveryIT.doc(i, 0)));
    }
    Future.all(seed).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

    String cluster = "emc-partition-" + UUID.randomUUID();
    List<Node> nodes = new ArrayList<>();
    for (String id : List.of("leader", "r1", "r2", "r3")) {
      nodes.add(new Node(id, work.resolve(id), work.resolve(id + ".log"), freePort()));
    }
    String members =
        String.join(",", nodes.stream().map(n -> "127.0.0.1:" + n.clusterPort()).toList());
    int api = freePort();
    Node leaderNode = nodes.get(0);
    Map<String, Process> procs = new ConcurrentHashMap<>();
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicBoolean reading = new AtomicBoolean(true);
    AtomicInteger ops = new AtomicInteger();
    AtomicInteger reads = new AtomicInteger();
    List<String> failedReads = java.util.Collections.synchronizedList(new ArrayList<>());
    Thread writer = new Thread(() -> CrashRecoveryIT.writeUntilStopped(writing, ops), "writer");
    Thread reader =
        new Thread(
            () -> {
              int i = 0;
              while (reading.get()) {
                String path = "/api/cache/p" + (i++ % ENTITIES) + "/docs?limit=5";
                try {
                  HttpResponse<String> r = get(api, path);
                  reads.incrementAndGet();
                  if (r.statusCode() != 200) {
                    failedReads.add(path + " -> " + r.statusCode() + " " + r.body());
                  }
                } catch (Exception e) {
                  failedReads.add(path + " -> " + e);
                }
              }
            },
            "reader");
    try {
      procs.put(
          "leader", launch(leaderNode, "oplog,listener,api", members, cluster, entities, api));
      for (Node n : nodes.subList(1, 4)) {
        procs.put(n.id(), launch(n, "replicator", members, cluster, null, 0));
      }
      Set<String> three = Set.of("r1", "r2", "r3");
      writer.start();
      CrashRecoveryIT.awaitOrDump(
          leaderNode.log(), Duration.ofSeconds(120), () -> settled(api, three) && ops.get() > 100);
      Map<String, Set<String>> before = servingHolders(api);
      System.out.println("PartitionedNodeLossIT: assignment with three nodes " + before);
      reader.start();
      CrashRecoveryIT.awaitOrDump(leaderNode.log(), Duration.ofSeconds(30), () -> reads.get() > 50);

      // the victim: a node that holds at least one entity
      Node victim =
          nodes.subList(1, 4).stream()
              .filter(n -> before.values().stream().anyMatch(h -> h.contains(n.id())))
              .findFirst()
              .orElseThrow();
      procs.get(victim.id()).destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      long killedAt = System.nanoTime();
      Set<String> two = new TreeSet<>(three);
      two.remove(victim.id());
      CrashRecoveryIT.awaitOrDump(
          leaderNode.log(), Duration.ofSeconds(90), () -> settled(api, two));
      System.out.println(
          "PartitionedNodeLossIT: every entity served by two holders among "
              + two
              + " "
              + (System.nanoTime() - killedAt) / 1_000_000
              + " ms after the SIGKILL of "
              + victim.id()
              + "; reads so far "
              + reads.get());
      int readsAfterLoss = reads.get();
      CrashRecoveryIT.awaitOrDump(
          leaderNode.log(), Duration.ofSeconds(30), () -> reads.get() > readsAfterLoss + 50);

      procs.put(victim.id(), launch(victim, "replicator", members, cluster, null, 0));
      CrashRecoveryIT.awaitOrDump(victim.log(), Duration.ofSeconds(120), () -> settled(api, three));
      Map<String, Set<String>> after = servingHolders(api);
      System.out.println("PartitionedNodeLossIT: assignment after the restart " + after);
      assertEquals(before, after, "rendezvous hashing gives the same holders for the same members");
      reading.set(false);
      reader.join(60_000);
      System.out.println(
          "PartitionedNodeLossIT: "
              + reads.get()
              + " reads through the change, "
              + failedReads.size()
              + " not 200");
      assertTrue(reads.get() > 150, "reads made: " + reads.get());
      assertEquals(List.of(), failedReads, "every read answered 200 (of " + reads.get() + ")");

      writing.set(false);
      writer.join(30_000);
      Map<String, Map<String, Object>> expected = CrashRecoveryIT.sourceRows();
      assertTrue(expected.size() > 100, "a meaningful number of documents: " + expected.size());
      for (Node n : nodes.subList(1, 4)) {
        for (int i = 0; i < ENTITIES; i++) {
          String entity = "p" + i;
          if (after.get(entity).contains(n.id())) {
            CrashRecoveryIT.awaitOrDump(
                n.log(),
                Duration.ofSeconds(60),
                () -> SqliteRows.rows(n.data(), entity).equals(expected));
            assertEquals(expected, SqliteRows.rows(n.data(), entity), n.id() + " " + entity);
          } else {
            CrashRecoveryIT.awaitOrDump(
                n.log(),
                Duration.ofSeconds(30),
                () -> !Files.exists(SqliteRows.file(n.data(), entity)));
            assertFalse(Files.exists(SqliteRows.file(n.data(), entity)), n.id() + " " + entity);
          }
        }
      }
    } finally {
      writing.set(false);
      reading.set(false);
      writer.join(30_000);
      reader.join(30_000);
      for (Process p : procs.values()) {
        p.destroy();
      }
      for (Process p : procs.values()) {
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
    }
  }
}
