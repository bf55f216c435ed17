package io.emcachers.bench;

import ch.qos.logback.classic.Level;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.devservices.DevPostgres;
import io.emcachers.launcher.Node;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
      description = "Small sizes: the whole run takes under a minute (CI runs it).")
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
      description = "Skip stage groups: ingest (ingest + apply), pipeline (snapshot + streaming).")
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
    streamRate = pick(streamRate, 2000.0, 1000.0);
    streamSeconds = pick(streamSeconds, 30.0, 4.0);
    rampStepSeconds = pick(rampStepSeconds, 5.0, 2.0);
    rampMaxSteps = pick(rampMaxSteps, 8, 2);
    mongoHeap = pick(mongoHeap, "4g", "512m");
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
    long started = System.nanoTime();
    Path work = workDir != null ? workDir : Files.createTempDirectory("emc-bench-");
    Files.createDirectories(work);
    for (String d : List.of("raw-sqlite", "ingest-node", "apply-node", "pipeline-node")) {
      deleteTree(
          work.resolve(
              d)); // every stage starts from fresh files (PostgreSQL databases are recreated)
    }
    Files.createDirectories(out);

    JsonObject results =
        new JsonObject()
            .put(
                "date",
                ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME))
            .put("mode", quick ? "quick" : "full")
            .put("machine", Machine.describe());
    JsonObject params =
        new JsonObject()
            .put("raw_rows", rawRows)
            .put("ingest_entries", ingestEntries)
            .put("batch", batch)
            .put("window", window)
            .put("entities", entities)
            .put("snapshot_docs", snapshotDocs)
            .put("stream_rate", streamRate)
            .put("stream_seconds", streamSeconds)
            .put("stream_docs", streamDocs)
            .put("ramp_factor", rampFactor)
            .put("ramp_step_seconds", rampStepSeconds)
            .put("ramp_max_steps", rampMaxSteps)
            .put("ramp_max_rate", rampMaxRate)
            .put("lag_growth_ms", lagGrowthMs)
            .put("analyze_before_apply", analyzeBeforeApply)
            .put("sqlite_synchronous", sqliteSynchronous)
            .put("mongo_heap", mongoHeap)
            .put("mongo_oplog_retention_s", mongoOplogRetention)
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
    results.put("params", params);
    JsonObject stages = new JsonObject();
    results.put("stages", stages);

    DevPostgres pg = new DevPostgres(work.resolve("pg"), 0);
    MongoChild mongo = null;
    try {
      LOG.info(
          "starting PostgreSQL and the MongoDB wire-protocol server (own JVM, -Xmx{})", mongoHeap);
      CompletableFuture<Void> pgStart = CompletableFuture.runAsync(pg::start);
      mongo = MongoChild.start(mongoHeap, mongoJvmArgs);
      mongoPid = mongo.pid();
      mongo.command("fill-docs app " + Docs.DOCS_COLLECTION + " " + snapshotDocs);
      mongo.command("fill-stream app " + Docs.STREAM_COLLECTION + " " + streamDocs);
      mongo.command("retention " + mongoOplogRetention);
      pgStart.get(120, TimeUnit.SECONDS);
      String admin = pg.jdbcUrl();

      // 1. raw limits
      LOG.info("raw limits: PostgreSQL COPY of {} rows", rawRows);
      Pipeline.createDatabase(admin, "bench_raw");
      long warm = Math.min(rawRows, 20_000);
      CpuMeter copyCpu = new CpuMeter(mongo.pid());
      RawLimits.Result copy = RawLimits.pgCopy(jdbc(pg, "bench_raw"), rawRows, warm, copyCpu);
      JsonObject copyCpuJson = copyCpu.kept();
      LOG.info("raw limits: SQLite upsert of {} rows", rawRows);
      CpuMeter sqliteCpu = new CpuMeter(mongo.pid()).start();
      RawLimits.Result sqlite =
          RawLimits.sqliteUpsert(work.resolve("raw-sqlite"), rawRows, warm, sqliteSynchronous);
      JsonObject sqliteCpuJson = sqliteCpu.stop();
      LOG.info("raw limits: MongoDB scan of {} documents", snapshotDocs);
      Vertx tools = Vertx.vertx();
      RawLimits.Result scan;
      CpuMeter scanCpu = new CpuMeter(mongo.pid()).start();
      try {
        scan = RawLimits.mongoScan(tools, mongo.url("app"), Docs.DOCS_COLLECTION, snapshotDocs);
      } finally {
        Pipeline.await(tools.close(), 30);
      }
      stages.put(
          "raw",
          new JsonObject()
              .put(
                  "pg_copy",
                  rate(copy, "rows")
                      .put("cpu", copyCpuJson)
                      .put(
                          "what",
                          "COPY (text) of oplog-shaped rows into a table with the oplog's definition and indexes, one transaction"))
              .put(
                  "sqlite_upsert",
                  rate(sqlite, "rows")
                      .put("cpu", sqliteCpuJson)
                      .put(
                          "what",
                          "INSERT .. ON CONFLICT DO UPDATE with the cache layout, WAL, synchronous="
                              + sqliteSynchronous
                              + ", one transaction"))
              .put(
                  "mongo_scan",
                  rate(scan, "docs")
                      .put("cpu", scanCpu.stop())
                      .put(
                          "what",
                          "one cursor over the source collection in _id order, batch 1000, over the wire")));

      // 2. ingest and 3. apply
      try {
        if (!skip.contains("ingest")) {
          ingestAndApply(pg, mongo, overrides, work, stages, copy, sqlite);
        }
      } catch (Exception e) {
        failed(stages, e, "ingest", "apply");
      }

      // 4. snapshot and 5. streaming
      try {
        if (!skip.contains("pipeline")) {
          snapshotAndStreaming(pg, mongo, overrides, work, stages, copy, sqlite, scan);
        }
      } catch (Exception e) {
        failed(stages, e, "snapshot", "streaming");
      }
    } finally {
      if (mongo != null) {
        mongo.close();
      }
      pg.close();
      if (!keep && workDir == null) {
        deleteTree(work);
      }
    }
    results.put("targets", targets(stages));
    results.put("total_seconds", round((System.nanoTime() - started) / 1e9, 1));
    Files.writeString(out.resolve("results.json"), results.encodePrettily());
    if (baseStep != null) {
      Charts.streamingLatency(
          out.resolve("streaming-latency.png"),
          baseStep,
          rampSteps,
          String.format(
              Locale.ROOT,
              "%d cores, %.0f GiB, %s",
              results.getJsonObject("machine").getInteger("cores"),
              results.getJsonObject("machine").getDouble("memory_gib"),
              System.getProperty("java.runtime.version")));
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

  private StreamingStage.Step baseStep;
  private long mongoPid;
  private final List<StreamingStage.Step> rampSteps = new ArrayList<>();

  private void ingestAndApply(
      DevPostgres pg,
      MongoChild mongo,
      JsonObject overrides,
      Path work,
      JsonObject stages,
      RawLimits.Result copy,
      RawLimits.Result sqlite)
      throws Exception {
    String db = "bench_ingest";
    Pipeline.createDatabase(pg.jdbcUrl(), db);
    JsonObject cfg =
        Pipeline.config(
            overrides, pgUrl(pg, db), mongo.url("app"), work.resolve("ingest-node"), "oplog");
    Vertx vertx = Pipeline.vertx(cfg);
    Node oplogNode = null;
    Node replicatorNode = null;
    try {
      oplogNode = Pipeline.deploy(vertx, cfg);
      List<String> names = new ArrayList<>();
      for (int e = 0; e < entities; e++) {
        String name = "bench_e" + e;
        names.add(name);
        Pipeline.createEntity(vertx, Docs.entityDefinition(name, "bench_src_" + e));
        makeLive(vertx, name);
      }
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
              .put("seconds", round(ingest.nanos() / 1e9, 3))
              .put("entries_per_s", Math.round(ingest.perSecond()))
              .put("batches", ingest.batches())
              .put("batch", batch)
              .put("window", window)
              .put("entities", entities)
              .put("warmup_entries", warm)
              .put("raw_limit", "pg_copy")
              .put("raw_limit_per_s", Math.round(copy.perSecond()))
              .put("ratio_to_raw", round(ingest.perSecond() / copy.perSecond(), 3))
              .put("cpu", ingestCpuJson));

      // 3. apply: a replicator node on a fresh data dir catches up with the oplog just written
      long total = ingestEntries + warm;
      List<Long> targets;
      try (Connection c = DriverManager.getConnection(jdbc(pg, db))) {
        targets = Pipeline.maxIds(c, names);
        if (analyzeBeforeApply) {
          try (var st = c.createStatement()) {
            st.execute("ANALYZE oplog");
          }
        }
      }
      JsonObject repCfg =
          Pipeline.config(
              overrides, pgUrl(pg, db), mongo.url("app"), work.resolve("apply-node"), "replicator");
      Path dataDir = work.resolve("apply-node");
      LOG.info(
          "apply: replicator catching up with {} oplog rows into {} cache(s)", total, entities);
      List<CacheProbe> probes = names.stream().map(n -> new CacheProbe(dataDir, n)).toList();
      CpuMeter applyCpu = new CpuMeter(mongoPid).start();
      long t0 = System.nanoTime();
      replicatorNode = Pipeline.deploy(vertx, repCfg);
      long deadline = t0 + TimeUnit.MINUTES.toNanos(30);
      while (true) {
        boolean all = true;
        for (int i = 0; i < probes.size(); i++) {
          if (probes.get(i).lastOplogId() < targets.get(i)) {
            all = false;
            break;
          }
        }
        if (all) {
          break;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "apply: caches did not reach the oplog head within 30 minutes");
        }
        Thread.sleep(10);
      }
      long nanos = System.nanoTime() - t0;
      JsonObject applyCpuJson = applyCpu.stop();
      long rows = 0;
      for (CacheProbe p : probes) {
        rows += p.count();
        p.close();
      }
      if (rows != total) {
        throw new IllegalStateException("apply: caches hold " + rows + " rows, expected " + total);
      }
      double perS = total / (nanos / 1e9);
      stages.put(
          "apply",
          new JsonObject()
              .put("rows", total)
              .put("seconds", round(nanos / 1e9, 3))
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
              .put("ratio_to_raw", round(perS / sqlite.perSecond(), 3))
              .put("cpu", applyCpuJson));
    } finally {
      if (replicatorNode != null) {
        Pipeline.undeploy(replicatorNode);
      }
      if (oplogNode != null) {
        Pipeline.undeploy(oplogNode);
      }
      Pipeline.await(vertx.close(), 60);
    }
  }

  /**
   * Moves a freshly created entity to live so that its streamed entries go to the oplog (no
   * listener runs here).
   */
  private static void makeLive(Vertx vertx, String name) throws Exception {
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

  private void snapshotAndStreaming(
      DevPostgres pg,
      MongoChild mongo,
      JsonObject overrides,
      Path work,
      JsonObject stages,
      RawLimits.Result copy,
      RawLimits.Result sqlite,
      RawLimits.Result scan)
      throws Exception {
    String db = "bench_pipeline";
    Pipeline.createDatabase(pg.jdbcUrl(), db);
    Path dataDir = work.resolve("pipeline-node");
    JsonObject cfg =
        Pipeline.config(
            overrides, pgUrl(pg, db), mongo.url("app"), dataDir, "oplog", "replicator", "listener");
    Vertx vertx = Pipeline.vertx(cfg);
    Node node = null;
    StreamingStage streaming = null;
    try (Connection pgc = DriverManager.getConnection(jdbc(pg, db))) {
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
              .put("seconds", round(nanos / 1e9, 3))
              .put("docs_per_s", Math.round(perS))
              .put(
                  "timed_from",
                  "entity created on a running pipeline (listener entity scan), until its status is live and every document is in SQLite")
              .put("raw_limit", "min(mongo_scan, pg_copy, sqlite_upsert)")
              .put("raw_limit_per_s", Math.round(ceiling))
              .put("ratio_to_raw", round(perS / ceiling, 3))
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
              jdbc(pg, db));
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
          StreamingStage.Step s = streaming.run(Math.round(r), rampStepSeconds, 5000, lagGrowthMs);
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
          StreamingStage.Step s = streaming.run(Math.round(r), rampStepSeconds, 5000, lagGrowthMs);
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
  private static void waitVisible(
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

  private static JsonArray targets(JsonObject stages) {
    JsonArray t = new JsonArray();
    JsonObject ingest = stages.getJsonObject("ingest");
    JsonObject apply = stages.getJsonObject("apply");
    JsonObject snap = stages.getJsonObject("snapshot");
    JsonObject stream = stages.getJsonObject("streaming");
    if (ok(ingest)) {
      double r = ingest.getDouble("ratio_to_raw");
      t.add(target("ingest >= 60% of raw COPY rows/s", r >= 0.6, pct(r) + " of COPY", true));
    }
    if (ok(apply)) {
      double r = apply.getDouble("ratio_to_raw");
      t.add(
          target(
              "apply >= 50% of raw SQLite upsert rows/s",
              r >= 0.5, pct(r) + " of SQLite upsert", true));
    }
    if (ok(snap)) {
      long docs = snap.getLong("docs");
      long rate = snap.getLong("docs_per_s");
      long heap = snap.getLong("peak_heap_used_mb");
      t.add(
          target(
              "snapshot of 1,000,000 docs >= 100,000 docs/s",
              rate >= 100_000,
              String.format(Locale.ROOT, "%,d docs/s over %,d docs", rate, docs),
              docs >= 1_000_000));
      t.add(
          target(
              "pipeline heap <= 512 MB during the snapshot",
              heap <= 512,
              String.format(
                  Locale.ROOT,
                  "peak used %d MB (live after GC %d MB, max heap %d MB)",
                  heap,
                  snap.getLong("peak_heap_live_after_gc_mb"),
                  snap.getLong("max_heap_mb")),
              docs >= 1_000_000));
    }
    if (ok(stream)) {
      double rate = stream.getDouble("target_rate");
      double p99 = stream.getDouble("p99_ms");
      t.add(
          target(
              "streaming p99 <= 50 ms at 2,000 changes/s",
              p99 <= 50 && stream.getBoolean("sustained"),
              String.format(Locale.ROOT, "p99 %.1f ms at %.0f/s", p99, rate),
              rate >= 2000));
    }
    return t;
  }

  private static boolean ok(JsonObject stage) {
    return stage != null && !stage.containsKey("error");
  }

  private static JsonObject target(String name, boolean met, String measured, boolean applicable) {
    return new JsonObject()
        .put("target", name)
        .put("measured", measured)
        .put("met", met)
        .put("at_target_size", applicable);
  }

  private static String pct(double r) {
    return String.format(Locale.ROOT, "%.0f%%", r * 100);
  }

  private static JsonObject rate(RawLimits.Result r, String unit) {
    return new JsonObject()
        .put(unit, r.count())
        .put("seconds", round(r.seconds(), 3))
        .put(unit + "_per_s", Math.round(r.perSecond()));
  }

  static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }

  private static String jdbc(DevPostgres pg, String db) {
    return "jdbc:postgresql://127.0.0.1:" + pg.port() + "/" + db + "?user=postgres";
  }

  private static String pgUrl(DevPostgres pg, String db) {
    return "postgresql://postgres@127.0.0.1:" + pg.port() + "/" + db;
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
