package io.emcachers.bench;

import io.emcachers.core.model.EntityStatus;
import io.emcachers.launcher.Node;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stages 2 and 3: ingest (append batches straight to an oplog node, {@link IngestStage}) against
 * the raw COPY limit, then apply (a replicator node on a fresh data dir catches up with that oplog)
 * against the raw SQLite upsert limit.
 */
final class IngestApplyStages {

  private static final Logger LOG = LoggerFactory.getLogger("emcachers.bench");

  private IngestApplyStages() {}

  /** Runs both stages and records them as {@code stages.ingest} and {@code stages.apply}. */
  static void run(BenchMain opts, BenchEnv env, JsonObject stages, RawLimitsStage.Limits raw)
      throws Exception {
    RawLimits.Result copy = raw.copy();
    RawLimits.Result sqlite = raw.sqlite();
    MongoChild mongo = env.mongo();
    JsonObject overrides = env.overrides();
    Path work = env.work();
    int entities = opts.entities;
    long ingestEntries = opts.ingestEntries;
    int batch = opts.batch;
    int window = opts.window;
    boolean analyzeBeforeApply = opts.analyzeBeforeApply;
    long mongoPid = mongo.pid();
    String db = "bench_ingest";
    Pipeline.createDatabase(env.pg().jdbcUrl(), db);
    JsonObject cfg =
        Pipeline.config(
            overrides, env.pgUrl(db), mongo.url("app"), work.resolve("ingest-node"), "oplog");
    Vertx vertx = Pipeline.vertx(cfg);
    Node oplogNode = null;
    try {
      oplogNode = Pipeline.deploy(vertx, cfg);
      List<String> names = liveEntities(vertx, "bench_e", "bench_src_", entities);
      long warm = Math.min(ingestEntries, 20_000);
      LOG.info("ingest: warm-up of {} entries", warm);
      IngestStage.run(vertx, names, ingestEntries, warm, batch, window);
      LOG.info("ingest: {} entries in batches of {}, window {}", ingestEntries, batch, window);
      CpuMeter ingestCpu = new CpuMeter(mongoPid).start();
      IngestStage.Result ingest = IngestStage.run(vertx, names, 0, ingestEntries, batch, window);
      JsonObject ingestCpuJson = ingestCpu.stop();
      stages.put(
          "ingest",
          new JsonObject()
              .put("entries", ingest.entries())
              .put("seconds", BenchMain.round(ingest.nanos() / 1e9, 3))
              .put("entries_per_s", Math.round(ingest.perSecond()))
              .put("batches", ingest.batches())
              .put("batch", batch)
              .put("window", window)
              .put("entities", entities)
              .put("warmup_entries", warm)
              .put("raw_limit", "pg_copy")
              .put("raw_limit_per_s", Math.round(copy.perSecond()))
              .put("ratio_to_raw", BenchMain.round(ingest.perSecond() / copy.perSecond(), 3))
              .put("cpu", ingestCpuJson));

      // 3. apply: a replicator node on a fresh data dir catches up with the oplog just written
      long total = ingestEntries + warm;
      List<Long> targets;
      try (Connection c = DriverManager.getConnection(env.jdbc(db))) {
        targets = Pipeline.maxIds(c, names);
        if (analyzeBeforeApply) {
          try (var st = c.createStatement()) {
            st.execute("ANALYZE oplog");
          }
        }
      }
      LOG.info(
          "apply: replicator catching up with {} oplog rows into {} cache(s)", total, entities);
      Applied applied =
          applyFresh(vertx, env, db, names, targets, work.resolve("apply-node"), total, "apply");
      long nanos = applied.nanos();
      JsonObject repCfg = applied.replicatorConfig();
      JsonObject applyCpuJson = applied.cpu();
      double perS = total / (nanos / 1e9);
      stages.put(
          "apply",
          new JsonObject()
              .put("rows", total)
              .put("seconds", BenchMain.round(nanos / 1e9, 3))
              .put("rows_per_s", Math.round(perS))
              .put("caches", entities)
              .put(
                  "read_batch_size", repCfg.getJsonObject("replicator").getValue("read_batch_size"))
              .put("oplog_analyzed_before", analyzeBeforeApply)
              .put(
                  "timed_from",
                  "replicator deploy on a fresh data dir, until every cache's last_oplog_id reaches its entity's last oplog id")
              .put("raw_limit", "sqlite_upsert")
              .put("raw_limit_per_s", Math.round(sqlite.perSecond()))
              .put("ratio_to_raw", BenchMain.round(perS / sqlite.perSecond(), 3))
              .put("cpu", applyCpuJson));
    } finally {
      if (oplogNode != null) {
        Pipeline.undeploy(oplogNode);
      }
      Pipeline.await(vertx.close(), 60);
    }
  }

  /** What {@link #applyFresh} measured: its wall time, the CPU table and the node's config. */
  record Applied(long nanos, JsonObject cpu, JsonObject replicatorConfig) {}

  /**
   * Times a fresh replicator node on {@code dataDir} from its deploy until every cache of {@code
   * names} reaches its target id, checks that the caches hold {@code expectedRows} rows in all, and
   * undeploys it: the apply stage and the growth stage's apply runs.
   */
  static Applied applyFresh(
      Vertx vertx,
      BenchEnv env,
      String db,
      List<String> names,
      List<Long> targets,
      Path dataDir,
      long expectedRows,
      String stage)
      throws Exception {
    JsonObject repCfg =
        Pipeline.config(
            env.overrides(), env.pgUrl(db), env.mongo().url("app"), dataDir, "replicator");
    List<CacheProbe> probes = names.stream().map(n -> new CacheProbe(dataDir, n)).toList();
    CpuMeter cpu = new CpuMeter(env.mongo().pid()).start();
    long t0 = System.nanoTime();
    Node node = Pipeline.deploy(vertx, repCfg);
    try {
      awaitHead(probes, targets, stage);
      long nanos = System.nanoTime() - t0;
      JsonObject cpuJson = cpu.stop();
      long rows = 0;
      for (CacheProbe p : probes) {
        rows += p.count();
      }
      if (rows != expectedRows) {
        throw new IllegalStateException(
            stage + ": caches hold " + rows + " rows, expected " + expectedRows);
      }
      return new Applied(nanos, cpuJson, repCfg);
    } finally {
      probes.forEach(CacheProbe::close);
      Pipeline.undeploy(node);
    }
  }

  /**
   * Waits (polling every 10 ms, at most 30 minutes) until each cache's {@code last_oplog_id}
   * reaches its entity's target id: how the apply stage and the compaction bootstrap are timed.
   */
  static void awaitHead(List<CacheProbe> probes, List<Long> targets, String stage)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
    while (true) {
      boolean all = true;
      for (int i = 0; i < probes.size(); i++) {
        if (probes.get(i).lastOplogId() < targets.get(i)) {
          all = false;
          break;
        }
      }
      if (all) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            stage + ": caches did not reach the oplog head within 30 minutes");
      }
      Thread.sleep(10);
    }
  }

  /**
   * Creates {@code count} entities {@code prefix + i} over the collections {@code sourcePrefix + i}
   * and makes each live; returns their names.
   */
  static List<String> liveEntities(Vertx vertx, String prefix, String sourcePrefix, int count)
      throws Exception {
    List<String> names = new ArrayList<>();
    for (int e = 0; e < count; e++) {
      String name = prefix + e;
      names.add(name);
      Pipeline.createEntity(vertx, Docs.entityDefinition(name, sourcePrefix + e));
      makeLive(vertx, name);
    }
    return names;
  }

  /**
   * Moves a freshly created entity to live so that its streamed entries go to the oplog (no
   * listener runs here).
   */
  static void makeLive(Vertx vertx, String name) throws Exception {
    try {
      Pipeline.setStatus(vertx, name, EntityStatus.live);
    } catch (Exception first) {
      try {
        Pipeline.setStatus(vertx, name, EntityStatus.scanning);
        Pipeline.setStatus(vertx, name, EntityStatus.live);
      } catch (Exception second) {
        second.addSuppressed(first);
        throw new IllegalStateException(
            "could not make entity " + name + " live: " + second.getMessage(), second);
      }
    }
  }
}
