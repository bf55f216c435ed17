package io.emcachers.bench;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.launcher.Node;
import io.emcachers.listener.ListenerVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What idle change streams cost: for each of {@code --idle-collections} N, in collection scope (N
 * streams) and database scope (one stream {@code $match}ed on N collections), a fresh node (oplog,
 * replicator, then the listener once the entities exist) with N live entities on N collections of
 * the test server and no writes; over {@code --idle-seconds}: the listener's change-stream polls
 * per second (its health's {@code streams[].polls}: getMore commands sent), the CPU of the pipeline
 * JVM, the MongoDB JVM and the rest, the pipeline heap after a GC and the MongoDB JVM's RSS. The
 * test server answers a getMore at once (it does not await data), so this is where the listener's
 * idle back-off shows; a real MongoDB holds each getMore for {@code stream_await_ms}. A last row
 * runs the largest N in collection scope with {@code stream_await_ms = idle_poll_ms} (no back-off
 * room: the behaviour before the back-off, one poll every {@code idle_poll_ms} per stream).
 */
final class IdleStreamsStage {

  private static final Logger LOG = LoggerFactory.getLogger("emcachers.bench");

  /** Documents in each idle collection (the entities' scans are not what is measured). */
  static final int DOCS_PER_COLLECTION = 10;

  private IdleStreamsStage() {}

  static String collection(int i) {
    return "bench_idle_" + i;
  }

  static void run(BenchMain opts, BenchEnv env, JsonObject stages) throws Exception {
    int max = opts.idleCollections.stream().mapToInt(Integer::intValue).max().orElse(1);
    for (int i = 0; i < max; i++) {
      env.mongo().command("fill-stream app " + collection(i) + " " + DOCS_PER_COLLECTION);
    }
    JsonArray runs = new JsonArray();
    for (String scope : new String[] {"collection", "database"}) {
      for (int n : opts.idleCollections) {
        runs.add(measure(opts, env, scope, n, null));
      }
    }
    long idlePoll =
        Pipeline.config(env.overrides(), "x", "x", Path.of("."), "x")
            .getJsonObject("listener")
            .getLong("idle_poll_ms");
    runs.add(
        measure(opts, env, "collection", max, new JsonObject().put("stream_await_ms", idlePoll)));
    stages.put(
        "idle_streams",
        new JsonObject()
            .put("runs", runs)
            .put("seconds", opts.idleSeconds)
            .put(
                "what",
                "N live entities on N collections, no writes; polls = change-stream getMore commands the listener sent (its health), CPU from /proc, heap after a GC (the pipeline JVM holds the benchmark too)"));
  }

  private static JsonObject measure(
      BenchMain opts, BenchEnv env, String scope, int n, JsonObject listenerOverride)
      throws Exception {
    String label = scope + "-" + n + (listenerOverride == null ? "" : "-noback");
    String db = "bench_idle_" + label.replace('-', '_');
    Pipeline.createDatabase(env.pg().jdbcUrl(), db);
    Path dataDir = env.work().resolve("idle-node").resolve(label);
    JsonObject overrides = env.overrides().copy();
    JsonObject l = overrides.getJsonObject("listener", new JsonObject());
    l.put("watch_scope", scope);
    if (listenerOverride != null) {
      l.mergeIn(listenerOverride);
    }
    overrides.put("listener", l);
    JsonObject cfg =
        Pipeline.config(
            overrides, env.pgUrl(db), env.mongo().url("app"), dataDir, "oplog", "replicator");
    Vertx vertx = Pipeline.vertx(cfg);
    Node node = null;
    String listener = null;
    try (Connection pg = DriverManager.getConnection(env.jdbc(db))) {
      node = Pipeline.deploy(vertx, cfg);
      LOG.info("idle streams: {} scope, {} collections", scope, n);
      // the entities exist before the listener starts (a restart with N entities): its session
      // opens every stream at once; entities added one by one to a running database-scope stream
      // reopen it each time, and against the test server (no database-level position) every
      // reopen re-scans all of them
      for (int i = 0; i < n; i++) {
        Pipeline.createEntity(vertx, Docs.streamEntityDefinition("idle_" + i, collection(i)));
      }
      listener =
          Pipeline.await(
              vertx.deployVerticle(new ListenerVerticle(), new DeploymentOptions().setConfig(cfg)),
              60);
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
      while (live(pg) < n) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              label + ": only " + live(pg) + " of " + n + " entities live after 5 minutes");
        }
        Thread.sleep(100);
      }
      // let the streams settle into their idle rhythm (the back-off reaches its cap in ~2 s)
      Thread.sleep(3000);
      JsonArray streamsBefore = streams(vertx);
      CpuMeter cpu = new CpuMeter(env.mongo().pid()).start();
      long t0 = System.nanoTime();
      Thread.sleep((long) (opts.idleSeconds * 1000));
      JsonArray streamsAfter = streams(vertx);
      double seconds = (System.nanoTime() - t0) / 1e9;
      JsonObject cpuJson = cpu.stop();
      System.gc();
      long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      long polls = polls(streamsAfter) - polls(streamsBefore);
      double wall = cpuJson.getDouble("wall_s");
      return new JsonObject()
          .put("scope", scope)
          .put("collections", n)
          .put("streams", streamsAfter.size())
          .put("back_off", listenerOverride == null)
          .put("polls", polls)
          .put("polls_per_s", BenchMain.round(polls / seconds, 1))
          .put(
              "pipeline_jvm_cpu_per_s",
              BenchMain.round(cpuJson.getDouble("pipeline_jvm_cpu_s") / wall, 3))
          .put(
              "mongo_jvm_cpu_per_s",
              BenchMain.round(cpuJson.getDouble("mongo_jvm_cpu_s") / wall, 3))
          .put("heap_used_after_gc_mb", heap / (1024 * 1024))
          .put("mongo_rss_mb", rssMb(env.mongo().pid()))
          .put("threads", Thread.activeCount())
          .put("cpu", cpuJson);
    } finally {
      Pipeline.shutdown(vertx, listener, node);
    }
  }

  private static long live(Connection pg) throws Exception {
    try (Statement st = pg.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM entities WHERE status = 'live'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static JsonArray streams(Vertx vertx) throws Exception {
    HealthReply r =
        Pipeline.await(
            Bus.request(
                vertx.eventBus(),
                Addresses.LISTENER_HEALTH,
                new HealthRequest(),
                HealthReply.class),
            30);
    JsonArray s = r.details().getJsonArray("streams");
    return s == null ? new JsonArray() : s;
  }

  private static long polls(JsonArray streams) {
    long sum = 0;
    for (Object o : streams) {
      sum += ((JsonObject) o).getLong("polls", 0L);
    }
    return sum;
  }

  private static long rssMb(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (Exception e) {
      // no /proc
    }
    return -1;
  }
}
