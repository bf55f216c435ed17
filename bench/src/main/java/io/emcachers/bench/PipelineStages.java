package io.emcachers.bench;

import io.emcachers.launcher.Node;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
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
 * Stages 4 and 5 on one running pipeline node (oplog, replicator, listener): the snapshot of the
 * source collection (with the pipeline's memory) against the raw limits, then the streaming latency
 * ({@link StreamingStage}) at {@code --stream-rate} and a ramp up (or down) to the highest
 * sustained rate. Keeps the streaming steps it ran for the chart, also when a later step fails.
 */
final class PipelineStages {

  private static final Logger LOG = LoggerFactory.getLogger("emcachers.bench");

  private final BenchMain opts;
  private final BenchEnv env;
  private StreamingStep baseStep;
  private final List<StreamingStep> rampSteps = new ArrayList<>();

  PipelineStages(BenchMain opts, BenchEnv env) {
    this.opts = opts;
    this.env = env;
  }

  /** The streaming step at {@code --stream-rate}, or null when it did not run. */
  StreamingStep baseStep() {
    return baseStep;
  }

  /** The ramp steps that ran, in order. */
  List<StreamingStep> rampSteps() {
    return rampSteps;
  }

  /** Runs both stages and records them as {@code stages.snapshot} and {@code stages.streaming}. */
  void run(JsonObject stages, RawLimitsStage.Limits raw) throws Exception {
    RawLimits.Result copy = raw.copy();
    RawLimits.Result sqlite = raw.sqlite();
    RawLimits.Result scan = raw.scan();
    MongoChild mongo = env.mongo();
    JsonObject overrides = env.overrides();
    Path work = env.work();
    long mongoPid = mongo.pid();
    int streamDocs = opts.streamDocs;
    long snapshotDocs = opts.snapshotDocs;
    double streamRate = opts.streamRate;
    double streamSeconds = opts.streamSeconds;
    double rampFactor = opts.rampFactor;
    double rampStepSeconds = opts.rampStepSeconds;
    int rampMaxSteps = opts.rampMaxSteps;
    double rampMaxRate = opts.rampMaxRate;
    double lagGrowthMs = opts.lagGrowthMs;
    String db = "bench_pipeline";
    Pipeline.createDatabase(env.pg().jdbcUrl(), db);
    Path dataDir = work.resolve("pipeline-node");
    JsonObject cfg =
        Pipeline.config(
            overrides, env.pgUrl(db), mongo.url("app"), dataDir, "oplog", "replicator", "listener");
    Vertx vertx = Pipeline.vertx(cfg);
    Node node = null;
    StreamingStage streaming = null;
    try (Connection pgc = DriverManager.getConnection(env.jdbc(db))) {
      node = Pipeline.deploy(vertx, cfg);
      String streamEntity = "bench_stream";
      String docsEntity = "bench_docs";
      LOG.info("pipeline up; scanning the {}-document stream collection", streamDocs);
      Pipeline.createEntity(
          vertx, Docs.streamEntityDefinition(streamEntity, Docs.STREAM_COLLECTION));
      try (CacheProbe probe = new CacheProbe(dataDir, streamEntity)) {
        waitVisible(pgc, probe, streamEntity, streamDocs, TimeUnit.MINUTES.toNanos(2));
      }

      // 4. snapshot
      LOG.info("snapshot: {} documents", snapshotDocs);
      System.gc();
      long nanos;
      JsonObject memory;
      JsonObject snapCpuJson;
      CpuMeter snapCpu = new CpuMeter(mongoPid);
      try (CacheProbe probe = new CacheProbe(dataDir, docsEntity);
          MemorySampler mem = new MemorySampler()) {
        snapCpu.start();
        long t0 = System.nanoTime();
        Pipeline.createEntity(vertx, Docs.entityDefinition(docsEntity, Docs.DOCS_COLLECTION));
        waitVisible(pgc, probe, docsEntity, snapshotDocs, TimeUnit.MINUTES.toNanos(60));
        nanos = System.nanoTime() - t0;
        snapCpuJson = snapCpu.stop();
        long mb = 1024 * 1024;
        memory =
            new JsonObject()
                .put("peak_heap_used_mb", mem.peakUsed() / mb)
                .put("peak_heap_live_after_gc_mb", mem.peakAfterGc() / mb)
                .put("gc_count", mem.gcCount())
                .put("max_heap_mb", Runtime.getRuntime().maxMemory() / mb)
                .put("rss_peak_mb", MemorySampler.rssPeak() / mb)
                .put("rss_at_start_mb", mem.rssAtStart() / mb)
                .put("rss_peak_is_stage_only", mem.hwmReset())
                .put(
                    "note",
                    "one JVM holds the pipeline (oplog, listener, replicator, cache-db) and the benchmark driver; the MongoDB server runs in its own JVM");
      }
      double perS = snapshotDocs / (nanos / 1e9);
      double ceiling = Math.min(scan.perSecond(), Math.min(copy.perSecond(), sqlite.perSecond()));
      stages.put(
          "snapshot",
          new JsonObject()
              .put("docs", snapshotDocs)
              .put("seconds", BenchMain.round(nanos / 1e9, 3))
              .put("docs_per_s", Math.round(perS))
              .put(
                  "timed_from",
                  "entity created on a running pipeline (listener entity scan), until its status is live and every document is in SQLite")
              .put("raw_limit", "min(mongo_scan, pg_copy, sqlite_upsert)")
              .put("raw_limit_per_s", Math.round(ceiling))
              .put("ratio_to_raw", BenchMain.round(perS / ceiling, 3))
              .mergeIn(memory)
              .put("cpu", snapCpuJson));

      // 5. streaming
      streaming =
          new StreamingStage(
              mongo.url("app"),
              Docs.STREAM_COLLECTION,
              streamDocs,
              dataDir,
              streamEntity,
              env.jdbc(db));
      LOG.info("streaming: warm-up");
      streaming.run(streamRate, 1.0, 5000, lagGrowthMs);
      LOG.info("streaming: {} changes/s for {} s", streamRate, streamSeconds);
      CpuMeter streamCpu = new CpuMeter(mongoPid).start();
      baseStep = streaming.run(streamRate, streamSeconds, 5000, lagGrowthMs);
      JsonObject streamCpuJson = streamCpu.stop();
      double best = baseStep.sustained() ? streamRate : 0;
      if (baseStep.sustained()) {
        double r = streamRate * rampFactor;
        for (int i = 0; i < rampMaxSteps && r <= rampMaxRate; i++, r *= rampFactor) {
          LOG.info("streaming ramp: {} changes/s for {} s", Math.round(r), rampStepSeconds);
          StreamingStep s = streaming.run(Math.round(r), rampStepSeconds, 5000, lagGrowthMs);
          rampSteps.add(s);
          if (!s.sustained()) {
            break;
          }
          best = s.targetRate();
        }
      } else {
        double r = streamRate / rampFactor;
        for (int i = 0; i < rampMaxSteps && r >= 50; i++, r /= rampFactor) {
          LOG.info("streaming ramp down: {} changes/s for {} s", Math.round(r), rampStepSeconds);
          StreamingStep s = streaming.run(Math.round(r), rampStepSeconds, 5000, lagGrowthMs);
          rampSteps.add(s);
          if (s.sustained()) {
            best = s.targetRate();
            break;
          }
        }
      }
      JsonArray steps = new JsonArray();
      rampSteps.forEach(s -> steps.add(s.toJson()));
      stages.put(
          "streaming",
          baseStep
              .toJson()
              .put("rate", streamRate)
              .put("docs", streamDocs)
              .put("max_sustained_rate", best)
              .put(
                  "max_sustained_rate_bounded_by_ramp_limit",
                  !rampSteps.isEmpty() && rampSteps.get(rampSteps.size() - 1).sustained())
              .put("ramp", steps)
              .put(
                  "visibility",
                  "a read-only SQLite connection polls _emc_meta.last_oplog_id every ~1 ms; latency = first poll that shows the change − write time")
              .put("raw_limit", null)
              .put("ratio_to_raw", null)
              .put("cpu", streamCpuJson));
    } finally {
      if (streaming != null) {
        streaming.close();
      }
      if (node != null) {
        Pipeline.undeploy(node);
      }
      Pipeline.await(vertx.close(), 60);
    }
  }

  /**
   * Waits until {@code entity} is live, its cache has reached its last oplog id, and holds {@code
   * expected} rows.
   */
  static void waitVisible(
      Connection pg, CacheProbe probe, String entity, long expected, long timeoutNanos)
      throws Exception {
    long deadline = System.nanoTime() + timeoutNanos;
    while (System.nanoTime() < deadline) {
      if ("live".equals(Pipeline.entityStatus(pg, entity))) {
        long target = Pipeline.maxIds(pg, List.of(entity)).get(0);
        if (target > 0 && probe.lastOplogId() >= target && probe.count() == expected) {
          return;
        }
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException(
        entity
            + ": "
            + expected
            + " documents not visible in SQLite in time (status "
            + Pipeline.entityStatus(pg, entity)
            + ", cache rows "
            + probe.count()
            + ", last_oplog_id "
            + probe.lastOplogId()
            + ")");
  }
}
