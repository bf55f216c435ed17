package io.emcachers.bench;

import ch.qos.logback.classic.Level;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar bench/target/emcachers-bench.jar [--quick] [--out DIR] [sizes and rates]}: one
 * run measures the machine's raw limits, then each stage of the pipeline against them, the snapshot
 * speed with the pipeline's memory, and the streaming latency; writes {@code DIR/results.json} and
 * {@code DIR/streaming-latency.png} and prints a table.
 *
 * <p>This class is the command line: the options, their defaults ({@code --quick} or full) and the
 * {@code --set} overrides; {@link BenchRun} runs the stages ({@link RawLimitsStage}, {@link
 * IngestApplyStages}, {@link PipelineStages}, {@link VerifyStage}, {@link ScaleStage}) and writes
 * the results.
 */
@Command(
    name = "emcachers-bench",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description =
        "Benchmarks emcachers against this machine's own limits (real PostgreSQL, SQLite files, "
            + "the MongoDB wire-protocol server in its own JVM).")
public final class BenchMain implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger("emcachers.bench");

  @Option(
      names = "--quick",
      description =
          "Small sizes: the whole run takes about a minute (CI runs it); the scale stage only with --quick-scale.")
  boolean quick;

  @Option(
      names = "--out",
      description = "Directory for results.json and the chart (default: ${DEFAULT-VALUE}).")
  Path out = Path.of("bench-results");

  @Option(
      names = "--raw-rows",
      description = "Rows of each raw-limit run (default 1000000; quick 20000).")
  Long rawRows;

  @Option(
      names = "--ingest-entries",
      description = "Oplog entries appended in the ingest stage (default 1000000; quick 20000).")
  Long ingestEntries;

  @Option(
      names = "--batch",
      description = "Entries per append batch (default: listener.batch_max_entries of the config).")
  Integer batch;

  @Option(
      names = "--window",
      description = "Unacked append batches (default: listener.max_unacked_batches of the config).")
  Integer window;

  @Option(
      names = "--entities",
      description = "Entities the ingest/apply rows are spread over (default ${DEFAULT-VALUE}).")
  int entities = 1;

  @Option(
      names = "--snapshot-docs",
      description =
          "Documents in the source collection for the snapshot (default 1000000, about 20 s on 2 cores; quick 20000).")
  Long snapshotDocs;

  @Option(
      names = "--verify-docs",
      description =
          "Documents the verify stage replicates into a cache and verifies (default 1000000; quick 20000); the snapshot's collection when the sizes agree.")
  Long verifyDocs;

  @Option(
      names = "--verify-drift",
      description =
          "Fraction of the verify stage's documents made to differ before its repair run (default ${DEFAULT-VALUE}).")
  double verifyDrift = 0.01;

  @Option(
      names = "--stream-rate",
      description = "Changes per second of the streaming stage (default 2000; quick 1000).")
  Double streamRate;

  @Option(
      names = "--stream-seconds",
      description = "Seconds the streaming stage writes at --stream-rate (default 30; quick 4).")
  Double streamSeconds;

  @Option(
      names = "--stream-docs",
      description = "Documents the streaming changes cycle over (default ${DEFAULT-VALUE}).")
  int streamDocs = 1000;

  @Option(
      names = "--latency-rates",
      split = ",",
      description =
          "Event rates of the pipeline-latency stage (synthetic change source), each for --latency-seconds (default 2000,5000).")
  List<Double> latencyRates;

  @Option(
      names = "--latency-seconds",
      description = "Seconds per rate of the pipeline-latency stage (default 30; quick 3).")
  Double latencySeconds;

  @Option(
      names = "--idle-collections",
      split = ",",
      description =
          "Watched collection counts of the idle-streams stage, each in collection and database scope (default 1,10,100; quick 1,10).")
  List<Integer> idleCollections;

  @Option(
      names = "--growth-entities",
      split = ",",
      description =
          "Entity counts of the growth stage's apply runs (default 1,10,100; quick 1,10).")
  List<Integer> growthEntities;

  @Option(
      names = "--growth-rows",
      description = "Oplog rows each growth apply run applies (default 300000; quick 6000).")
  Long growthRows;

  @Option(
      names = "--growth-snapshot-docs",
      split = ",",
      description =
          "Collection sizes of the growth stage's snapshot runs (default 100000,1000000,3000000; quick 5000,20000).")
  List<Long> growthSnapshotDocs;

  @Option(
      names = "--idle-seconds",
      description = "Seconds each idle-streams configuration is measured (default 10; quick 3).")
  Double idleSeconds;

  @Option(
      names = "--ramp-factor",
      description =
          "Rate multiplier between steps when looking for the highest sustained rate (default ${DEFAULT-VALUE}).")
  double rampFactor = 1.5;

  @Option(
      names = "--ramp-step-seconds",
      description = "Seconds per ramp step (default 5; quick 2).")
  Double rampStepSeconds;

  @Option(names = "--ramp-max-steps", description = "Most ramp steps (default 8; quick 2).")
  Integer rampMaxSteps;

  @Option(names = "--ramp-max-rate", description = "Highest rate tried (default ${DEFAULT-VALUE}).")
  double rampMaxRate = 50_000;

  @Option(
      names = "--lag-growth-ms",
      description =
          "A step whose median latency rises more than this from its first to its last second has growing lag (default ${DEFAULT-VALUE}).")
  double lagGrowthMs = 50;

  @Option(
      names = "--analyze-before-apply",
      description =
          "ANALYZE the oplog table after the ingest, before the apply stage (default: as the pipeline leaves it).")
  boolean analyzeBeforeApply;

  @Option(
      names = "--sqlite-synchronous",
      description =
          "PRAGMA synchronous of the raw SQLite upsert (default ${DEFAULT-VALUE}, as the caches).")
  String sqliteSynchronous = "FULL";

  @Option(
      names = "--compaction-docs",
      description = "Documents of the compaction stage (default 100000; quick 2000).")
  Long compactionDocs;

  @Option(
      names = "--compaction-updates",
      description = "Updates per document of the compaction stage (default 20; quick 10).")
  Integer compactionUpdates;

  @Option(
      names = "--compaction-append-seconds",
      description =
          "Seconds of the stream-append loop alone, the baseline of the append p99 during compaction (default 10; quick 2).")
  Double compactionAppendSeconds;

  @Option(
      names = "--scale-rows",
      description =
          "Oplog rows each replicator node applies in the scale stage, per measured fill (default 1000000; quick 20000).")
  Long scaleRows;

  @Option(
      names = "--scale-nodes",
      description =
          "Replicator nodes (own JVMs) of the scale stage's second run (default ${DEFAULT-VALUE}).")
  int scaleNodes = 3;

  @Option(
      names = "--scale-entities",
      description = "Entities the scale stage's rows are spread over (default ${DEFAULT-VALUE}).")
  int scaleEntities = 4;

  @Option(
      names = "--scale-write-rate",
      description =
          "Source changes per second written during the scale stage's failovers (default ${DEFAULT-VALUE}).")
  int scaleWriteRate = 200;

  @Option(
      names = "--quick-scale",
      description =
          "With --quick, run the scale stage too, at quick size: it starts seven app JVMs and takes 60-90 s on 2 cores, so --quick leaves it out otherwise.")
  boolean quickScale;

  @Option(
      names = "--app-jar",
      description =
          "The app jar the scale stage starts its nodes from (default launcher/target/emcachers.jar, else the launcher inside this jar).")
  Path appJar;

  @Option(
      names = "--node-heap",
      description = "Max heap of each node JVM of the scale stage (default ${DEFAULT-VALUE}).")
  String nodeHeap = "512m";

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description =
          "Override a pipeline config key, e.g. --set listener.batch_max_delay_ms=10 (value parsed as JSON when it parses).")
  List<String> sets = new ArrayList<>();

  @Option(
      names = "--mongo-heap",
      description = "Max heap of the MongoDB server's JVM (default 4g; quick 512m).")
  String mongoHeap;

  @Option(
      names = "--mongo-jvm-arg",
      paramLabel = "ARG",
      description =
          "Extra JVM argument of the MongoDB server's JVM (repeatable), e.g. -XX:StartFlightRecording=filename=mongo.jfr.")
  List<String> mongoJvmArgs = new ArrayList<>();

  @Option(
      names = "--mongo-oplog-retention-s",
      description =
          "The test server's oplog keeps this many seconds (0: all); see MongoServerMain (default ${DEFAULT-VALUE}).")
  long mongoOplogRetention = 20;

  @Option(
      names = "--skip",
      split = ",",
      paramLabel = "GROUP",
      description =
          "Skip stage groups: ingest (ingest + apply), pipeline (snapshot + streaming), latency (pipeline latency, synthetic source), idle (idle streams), compaction, verify, growth (apply with N entities, snapshot at N documents), scale. The raw limits always run.")
  List<String> skip = new ArrayList<>();

  @Option(
      names = "--work-dir",
      description =
          "Scratch directory (PostgreSQL data, SQLite files), kept after the run; default a new temp dir, deleted at the end.")
  Path workDir;

  @Option(names = "--keep", description = "Keep the scratch directory.")
  boolean keep;

  @Option(names = "--verbose", description = "Pipeline logs at INFO (default WARN).")
  boolean verbose;

  public static void main(String[] args) {
    System.setProperty("java.awt.headless", "true");
    int code = new CommandLine(new BenchMain()).execute(args);
    System.exit(code);
  }

  private void resolveDefaults(JsonObject defaults) {
    rawRows = pick(rawRows, 1_000_000L, 20_000L);
    ingestEntries = pick(ingestEntries, 1_000_000L, 20_000L);
    snapshotDocs = pick(snapshotDocs, 1_000_000L, 20_000L);
    verifyDocs = pick(verifyDocs, 1_000_000L, 20_000L);
    streamRate = pick(streamRate, 2000.0, 1000.0);
    streamSeconds = pick(streamSeconds, 30.0, 4.0);
    latencyRates = latencyRates != null ? latencyRates : PipelineLatencyStage.DEFAULT_RATES;
    latencySeconds = pick(latencySeconds, 30.0, 3.0);
    idleCollections = pick(idleCollections, List.of(1, 10, 100), List.of(1, 10));
    idleSeconds = pick(idleSeconds, 10.0, 3.0);
    growthEntities = pick(growthEntities, List.of(1, 10, 100), List.of(1, 10));
    growthRows = pick(growthRows, 300_000L, 6_000L);
    growthSnapshotDocs =
        pick(
            growthSnapshotDocs,
            List.of(100_000L, 1_000_000L, 3_000_000L),
            List.of(5_000L, 20_000L));
    rampStepSeconds = pick(rampStepSeconds, 5.0, 2.0);
    rampMaxSteps = pick(rampMaxSteps, 8, 2);
    mongoHeap = pick(mongoHeap, "4g", "512m");
    compactionDocs = pick(compactionDocs, 100_000L, 2_000L);
    compactionUpdates = pick(compactionUpdates, 20, 10);
    compactionAppendSeconds = pick(compactionAppendSeconds, 10.0, 2.0);
    scaleRows = pick(scaleRows, 1_000_000L, 20_000L);
    if (quick && !quickScale && !skip.contains("scale")) {
      skip.add("scale"); // seven JVM starts (Hazelcast joins) cost more than the rest of --quick
    }
    JsonObject listener = defaults.getJsonObject("listener");
    batch = batch != null ? batch : listener.getInteger("batch_max_entries", 500);
    window = window != null ? window : listener.getInteger("max_unacked_batches", 4);
  }

  private <T> T pick(T given, T full, T small) {
    return given != null ? given : quick ? small : full;
  }

  private static JsonObject overrides(List<String> sets) {
    JsonObject o = new JsonObject();
    for (String s : sets) {
      int eq = s.indexOf('=');
      if (eq <= 0) {
        throw new CommandLine.ParameterException(
            new CommandLine(new BenchMain()), "--set expects KEY=VALUE, got " + s);
      }
      String[] path = s.substring(0, eq).split("\\.");
      String raw = s.substring(eq + 1);
      Object value;
      try {
        value = Json.decodeValue(raw);
      } catch (RuntimeException e) {
        value = raw;
      }
      JsonObject at = o;
      for (int i = 0; i < path.length - 1; i++) {
        JsonObject next = at.getJsonObject(path[i]);
        if (next == null) {
          next = new JsonObject();
          at.put(path[i], next);
        }
        at = next;
      }
      at.put(path[path.length - 1], value);
    }
    return o;
  }

  @Override
  public Integer call() throws Exception {
    for (String name :
        List.of(org.slf4j.Logger.ROOT_LOGGER_NAME, "io.emcachers", "io.vertx", "io.netty")) {
      ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(name))
          .setLevel(verbose ? Level.INFO : Level.WARN);
    }
    ((ch.qos.logback.classic.Logger) LOG).setLevel(Level.INFO);
    JsonObject overrides = overrides(sets);
    JsonObject baseConfig =
        Pipeline.config(
            overrides,
            "postgresql://x@127.0.0.1/x",
            "mongodb://127.0.0.1/app",
            Path.of("."),
            "oplog");
    resolveDefaults(baseConfig);
    return new BenchRun(this, overrides, baseConfig).call();
  }

  /** The run's resolved options and pipeline config, as {@code params} of results.json. */
  JsonObject params(JsonObject overrides, JsonObject baseConfig) {
    return new JsonObject()
        .put("raw_rows", rawRows)
        .put("ingest_entries", ingestEntries)
        .put("batch", batch)
        .put("window", window)
        .put("entities", entities)
        .put("snapshot_docs", snapshotDocs)
        .put("verify_docs", verifyDocs)
        .put("verify_drift", verifyDrift)
        .put("stream_rate", streamRate)
        .put("stream_seconds", streamSeconds)
        .put("stream_docs", streamDocs)
        .put("latency_rates", new io.vertx.core.json.JsonArray(latencyRates))
        .put("latency_seconds", latencySeconds)
        .put("idle_collections", new io.vertx.core.json.JsonArray(idleCollections))
        .put("idle_seconds", idleSeconds)
        .put("growth_entities", new io.vertx.core.json.JsonArray(growthEntities))
        .put("growth_rows", growthRows)
        .put("growth_snapshot_docs", new io.vertx.core.json.JsonArray(growthSnapshotDocs))
        .put("ramp_factor", rampFactor)
        .put("ramp_step_seconds", rampStepSeconds)
        .put("ramp_max_steps", rampMaxSteps)
        .put("ramp_max_rate", rampMaxRate)
        .put("lag_growth_ms", lagGrowthMs)
        .put("analyze_before_apply", analyzeBeforeApply)
        .put("sqlite_synchronous", sqliteSynchronous)
        .put("mongo_heap", mongoHeap)
        .put("mongo_oplog_retention_s", mongoOplogRetention)
        .put("compaction_docs", compactionDocs)
        .put("compaction_updates", compactionUpdates)
        .put("compaction_append_seconds", compactionAppendSeconds)
        .put("scale_rows", scaleRows)
        .put("scale_nodes", scaleNodes)
        .put("scale_entities", scaleEntities)
        .put("scale_write_rate", scaleWriteRate)
        .put("node_heap", nodeHeap)
        .put("overrides", overrides)
        .put(
            "pipeline_config",
            new JsonObject()
                .put("listener", baseConfig.getJsonObject("listener"))
                .put("oplog", baseConfig.getJsonObject("oplog"))
                .put("replicator", baseConfig.getJsonObject("replicator"))
                .put("cache", baseConfig.getJsonObject("cache"))
                .put(
                    "postgres_pool_size",
                    baseConfig.getJsonObject("postgres").getValue("pool_size")));
  }

  static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }
}
