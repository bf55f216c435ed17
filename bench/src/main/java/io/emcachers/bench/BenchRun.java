package io.emcachers.bench;

import io.emcachers.devservices.DevPostgres;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of the benchmark with resolved options: prepares the scratch directory, starts PostgreSQL
 * and the MongoDB server's JVM, runs the stage groups in order (a failed group is recorded and the
 * run goes on), then writes {@code results.json} and the chart and prints the table ({@link
 * Table}).
 */
final class BenchRun {

  private static final Logger LOG = LoggerFactory.getLogger("emcachers.bench");

  private final BenchMain opts;
  private final JsonObject overrides;
  private final JsonObject baseConfig;

  BenchRun(BenchMain opts, JsonObject overrides, JsonObject baseConfig) {
    this.opts = opts;
    this.overrides = overrides;
    this.baseConfig = baseConfig;
  }

  /** Runs every stage; the exit code is 1 when a stage failed. */
  int call() throws Exception {
    Path out = opts.out;
    long started = System.nanoTime();
    Path work = opts.workDir != null ? opts.workDir : Files.createTempDirectory("emc-bench-");
    Files.createDirectories(work);
    for (String d :
        List.of(
            "raw-sqlite",
            "ingest-node",
            "apply-node",
            "pipeline-node",
            "verify-node",
            "latency-node",
            "idle-node")) {
      deleteTree(
          work.resolve(
              d)); // every stage starts from fresh files (PostgreSQL databases are recreated)
    }
    deleteTree(work.resolve("compaction-node")); // the compaction stage's data dirs
    deleteTree(work.resolve("compaction-replica"));
    deleteTree(work.resolve("scale-apply")); // the scale stage's node data dirs and logs
    deleteTree(work.resolve("scale-failover"));
    try (Stream<Path> dirs = Files.list(work)) { // the growth stage's node data dirs
      dirs.filter(d -> d.getFileName().toString().startsWith("growth-"))
          .forEach(BenchRun::deleteTree);
    }
    Files.createDirectories(out);

    JsonObject results =
        new JsonObject()
            .put(
                "date",
                ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME))
            .put("mode", opts.quick ? "quick" : "full")
            .put("machine", Machine.describe());
    results.put("params", opts.params(overrides, baseConfig));
    JsonObject stages = new JsonObject();
    results.put("stages", stages);

    DevPostgres pg = new DevPostgres(work.resolve("pg"), 0);
    MongoChild mongo = null;
    PipelineStages pipeline = null;
    try {
      LOG.info(
          "starting PostgreSQL and the MongoDB wire-protocol server (own JVM, -Xmx{})",
          opts.mongoHeap);
      CompletableFuture<Void> pgStart = CompletableFuture.runAsync(pg::start);
      mongo = MongoChild.start(opts.mongoHeap, opts.mongoJvmArgs);
      mongo.command("fill-docs app " + Docs.DOCS_COLLECTION + " " + opts.snapshotDocs);
      mongo.command("fill-stream app " + Docs.STREAM_COLLECTION + " " + opts.streamDocs);
      mongo.command("fill-stream app " + Docs.SYNTHETIC_COLLECTION + " " + opts.streamDocs);
      if (!opts.skip.contains("verify")
          && Docs.VERIFY_COLLECTION.equals(VerifyStage.collection(opts))) {
        mongo.command("fill-docs app " + Docs.VERIFY_COLLECTION + " " + opts.verifyDocs);
      }
      mongo.command("retention " + opts.mongoOplogRetention);
      pgStart.get(120, TimeUnit.SECONDS);
      BenchEnv env = new BenchEnv(pg, mongo, overrides, work);

      // 1. raw limits
      RawLimitsStage.Limits raw = RawLimitsStage.run(opts, env, stages);

      // 2. ingest and 3. apply
      try {
        if (!opts.skip.contains("ingest")) {
          IngestApplyStages.run(opts, env, stages, raw);
        }
      } catch (Exception e) {
        failed(stages, e, "ingest", "apply");
      }

      // 4. snapshot and 5. streaming
      try {
        if (!opts.skip.contains("pipeline")) {
          pipeline = new PipelineStages(opts, env);
          pipeline.run(stages, raw);
        }
      } catch (Exception e) {
        failed(stages, e, "snapshot", "streaming");
      }

      // 5b. pipeline latency with a synthetic change source (issue 15)
      try {
        if (!opts.skip.contains("latency")) {
          PipelineLatencyStage.run(opts, env, stages);
        }
      } catch (Exception e) {
        failed(stages, e, "pipeline_latency");
      }

      // 5c. idle streams: CPU, heap and source polls with 1, 10, 100 watched collections
      try {
        if (!opts.skip.contains("idle")) {
          IdleStreamsStage.run(opts, env, stages);
        }
      } catch (Exception e) {
        failed(stages, e, "idle_streams");
      }

      // 6. compaction (issue 12)
      try {
        if (!opts.skip.contains("compaction")) {
          CompactionStage.run(opts, env, stages, raw);
        }
      } catch (Exception e) {
        failed(stages, e, "compaction");
      }
      // 7. verify (last: its drift changes source documents the snapshot read)
      try {
        if (!opts.skip.contains("verify")) {
          VerifyStage.run(opts, env, stages);
        }
      } catch (Exception e) {
        failed(stages, e, "verify");
      }
      // 7b. growth: apply with 1/10/100 entities, snapshot at 100k/1M/3M documents (issue 15)
      try {
        if (!opts.skip.contains("growth")) {
          GrowthStage.run(opts, env, stages);
        }
      } catch (Exception e) {
        failed(stages, e, "growth");
      }
      // 8. scale (issue 13): separate app JVMs on this machine, their own databases and collections
      try {
        if (!opts.skip.contains("scale")) {
          ScaleStage.run(opts, env, stages);
        }
      } catch (Exception e) {
        failed(stages, e, "scale");
      }
    } finally {
      if (mongo != null) {
        mongo.close();
      }
      pg.close();
      if (!opts.keep && opts.workDir == null) {
        deleteTree(work);
      }
    }
    results.put("targets", Targets.of(stages));
    results.put("total_seconds", BenchMain.round((System.nanoTime() - started) / 1e9, 1));
    Files.writeString(out.resolve("results.json"), results.encodePrettily());
    StreamingStep baseStep = pipeline == null ? null : pipeline.baseStep();
    if (baseStep != null) {
      Charts.streamingLatency(
          out.resolve("streaming-latency.png"),
          baseStep,
          pipeline.rampSteps(),
          String.format(
              Locale.ROOT,
              "%d cores, %.0f GiB, %s",
              results.getJsonObject("machine").getInteger("cores"),
              results.getJsonObject("machine").getDouble("memory_gib"),
              System.getProperty("java.runtime.version")));
    }
    JsonObject growth = stages.getJsonObject("growth");
    Path growthPng = out.resolve("growth.png");
    if (growth != null && !growth.containsKey("error")) {
      Charts.growth(
          growthPng,
          growth,
          String.format(
              Locale.ROOT, "%d cores", results.getJsonObject("machine").getInteger("cores")));
    }
    Table.print(results);
    System.out.println(
        "results: "
            + out.resolve("results.json").toAbsolutePath()
            + (baseStep == null
                ? ""
                : "  chart: " + out.resolve("streaming-latency.png").toAbsolutePath()));
    boolean anyError =
        stages.fieldNames().stream()
            .anyMatch(k -> stages.getValue(k) instanceof JsonObject o && o.containsKey("error"));
    return anyError ? 1 : 0;
  }

  /** Records a failed stage group (its error) and lets the run go on with the next one. */
  private static void failed(JsonObject stages, Exception e, String... names) {
    LOG.error("stage {} failed: {}", String.join("/", names), e.toString(), e);
    for (String n : names) {
      if (!stages.containsKey(n)) {
        stages.put(n, new JsonObject().put("error", String.valueOf(e)));
      }
    }
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      s.sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  // best effort
                }
              });
    } catch (IOException e) {
      // best effort
    }
  }
}
