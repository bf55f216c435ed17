package io.emcachers.bench;

import io.emcachers.launcher.Node;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How cost grows (issue 15), stage group {@code growth}:
 *
 * <ul>
 *   <li><b>apply with N entities</b>, for each N of {@code --growth-entities}: the same {@code
 *       --growth-rows} oplog rows, round-robin over N live entities, appended to a fresh database
 *       (as the ingest stage does), then a fresh replicator node catches up, timed as the apply
 *       stage; rows/s, the node JVM's CPU per row, and the rate against N = the smallest.
 *   <li><b>snapshot of D documents</b>, for each D of {@code --growth-snapshot-docs}: a collection
 *       of D documents filled in the test server, a fresh pipeline node (oplog, replicator,
 *       listener) on a fresh database, the entity created and timed as the snapshot stage until
 *       live with every document in SQLite; docs/s, heap peak, and the rate against the smallest D.
 *       The collection is dropped afterwards (the test server holds it in its heap).
 * </ul>
 *
 * Flat means the largest size keeps most of the smallest size's rate; the table says by how much.
 */
final class GrowthStage {

  private static final Logger LOG = LoggerFactory.getLogger("emcachers.bench");

  private GrowthStage() {}

  static void run(BenchMain opts, BenchEnv env, JsonObject stages) throws Exception {
    JsonObject growth = new JsonObject();
    stages.put("growth", growth);
    growth.put("apply", applyRuns(opts, env));
    growth.put("snapshot", snapshotRuns(opts, env));
  }

  private static JsonArray applyRuns(BenchMain opts, BenchEnv env) throws Exception {
    JsonArray runs = new JsonArray();
    Double base = null;
    for (int n : opts.growthEntities) {
      JsonObject r = apply(opts, env, n);
      double perS = r.getDouble("rows_per_s");
      base = base == null ? perS : base;
      runs.add(r.put("ratio_to_first", BenchMain.round(perS / base, 3)));
    }
    return runs;
  }

  private static JsonObject apply(BenchMain opts, BenchEnv env, int entities) throws Exception {
    long rows = opts.growthRows;
    String db = "bench_growth_apply_" + entities;
    Pipeline.createDatabase(env.pg().jdbcUrl(), db);
    Path work = env.work().resolve("growth-apply-" + entities);
    JsonObject cfg =
        Pipeline.config(
            env.overrides(), env.pgUrl(db), env.mongo().url("app"), work.resolve("oplog"), "oplog");
    Vertx vertx = Pipeline.vertx(cfg);
    Node oplogNode = null;
    try {
      oplogNode = Pipeline.deploy(vertx, cfg);
      List<String> names =
          IngestApplyStages.liveEntities(
              vertx, "bench_g" + entities + "_e", "bench_growth_src_", entities);
      LOG.info("growth: {} oplog rows over {} entities", rows, entities);
      IngestStage.run(vertx, names, 0, rows, opts.batch, opts.window);
      List<Long> targets;
      try (Connection c = DriverManager.getConnection(env.jdbc(db))) {
        targets = Pipeline.maxIds(c, names);
      }
      IngestApplyStages.Applied applied =
          IngestApplyStages.applyFresh(
              vertx, env, db, names, targets, work.resolve("replica"), rows, "growth apply");
      long nanos = applied.nanos();
      JsonObject cpuJson = applied.cpu();
      double perS = rows / (nanos / 1e9);
      return new JsonObject()
          .put("entities", entities)
          .put("rows", rows)
          .put("seconds", BenchMain.round(nanos / 1e9, 3))
          .put("rows_per_s", Math.round(perS))
          .put(
              "pipeline_jvm_cpu_us_per_row",
              BenchMain.round(cpuJson.getDouble("pipeline_jvm_cpu_s") * 1e6 / rows, 2))
          .put("cpu", cpuJson);
    } finally {
      if (oplogNode != null) {
        Pipeline.undeploy(oplogNode);
      }
      Pipeline.await(vertx.close(), 60);
    }
  }

  private static JsonArray snapshotRuns(BenchMain opts, BenchEnv env) throws Exception {
    JsonArray runs = new JsonArray();
    Double base = null;
    for (long docs : opts.growthSnapshotDocs) {
      String collection = "bench_growth_docs_" + docs;
      env.mongo().command("fill-docs app " + collection + " " + docs);
      // in the first full run the test server's collector took 18 CPU-s of a 30 s snapshot right
      // after its fill: that measured the fill, not the snapshot
      env.mongo().command("gc");
      try {
        JsonObject r = snapshot(env, collection, docs);
        double perS = r.getDouble("docs_per_s");
        base = base == null ? perS : base;
        runs.add(r.put("ratio_to_first", BenchMain.round(perS / base, 3)));
      } finally {
        env.mongo().command("drop app " + collection);
      }
    }
    return runs;
  }

  private static JsonObject snapshot(BenchEnv env, String collection, long docs) throws Exception {
    String db = "bench_growth_snapshot_" + docs;
    Pipeline.createDatabase(env.pg().jdbcUrl(), db);
    Path dataDir = env.work().resolve("growth-snapshot-" + docs);
    JsonObject cfg =
        Pipeline.config(
            env.overrides(),
            env.pgUrl(db),
            env.mongo().url("app"),
            dataDir,
            "oplog",
            "replicator",
            "listener");
    Vertx vertx = Pipeline.vertx(cfg);
    Node node = null;
    String entity = "bench_growth_snap";
    try (Connection pg = DriverManager.getConnection(env.jdbc(db))) {
      node = Pipeline.deploy(vertx, cfg);
      LOG.info("growth: snapshot of {} documents", docs);
      System.gc();
      long nanos;
      JsonObject cpuJson;
      long peakMb;
      long liveMb;
      CpuMeter cpu = new CpuMeter(env.mongo().pid());
      try (CacheProbe probe = new CacheProbe(dataDir, entity);
          MemorySampler mem = new MemorySampler()) {
        cpu.start();
        long t0 = System.nanoTime();
        Pipeline.createEntity(vertx, Docs.entityDefinition(entity, collection));
        PipelineStages.waitVisible(pg, probe, entity, docs, TimeUnit.MINUTES.toNanos(60));
        nanos = System.nanoTime() - t0;
        cpuJson = cpu.stop();
        peakMb = mem.peakUsed() / (1024 * 1024);
        liveMb = mem.peakAfterGc() / (1024 * 1024);
      }
      double perS = docs / (nanos / 1e9);
      return new JsonObject()
          .put("docs", docs)
          .put("seconds", BenchMain.round(nanos / 1e9, 3))
          .put("docs_per_s", Math.round(perS))
          .put("peak_heap_used_mb", peakMb)
          .put("peak_heap_live_after_gc_mb", liveMb)
          .put(
              "pipeline_jvm_cpu_us_per_doc",
              BenchMain.round(cpuJson.getDouble("pipeline_jvm_cpu_s") * 1e6 / docs, 2))
          .put("cpu", cpuJson);
    } finally {
      if (node != null) {
        Pipeline.undeploy(node);
      }
      Pipeline.await(vertx.close(), 60);
    }
  }
}
