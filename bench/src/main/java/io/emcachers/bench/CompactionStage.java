package io.emcachers.bench;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.client.OplogClient;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.CompactionReply;
import io.emcachers.core.messages.EntityNameRequest;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.messages.OplogReadReply;
import io.emcachers.core.messages.OplogStatsReply;
import io.emcachers.core.model.Operation;
import io.emcachers.core.model.Oplog;
import io.emcachers.launcher.Node;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The compaction stage (issue 12): {@code docs × updates} upserts appended to the real oplog
 * verticle (retention 0, scheduled compaction off), then one on-demand compaction run ({@code
 * emc.oplog.compact}, which ends with its VACUUM) measured for rows and bytes before/after ({@code
 * emc.oplog.stats}), its throughput, the p99 of small stream appends while it runs against the same
 * append loop alone, a correctness check of the compacted state read from 0, and a fresh replicator
 * node bootstrapping from the compacted oplog (timed like the apply stage) against the run's raw
 * SQLite upsert limit.
 */
final class CompactionStage {

  private static final Logger LOG = LoggerFactory.getLogger("emcachers.bench");

  /** Entries per stream append batch and the period between batches: 2,000 entries/s. */
  static final int APPEND_BATCH = 10;

  static final long APPEND_PERIOD_MS = 5;

  /** Documents the stream appends cycle over (an entity of their own). */
  static final int APPEND_DOCS = 1000;

  private CompactionStage() {}

  /** Runs the stage and records it as {@code stages.compaction}. */
  static void run(BenchMain opts, BenchEnv env, JsonObject stages, RawLimitsStage.Limits raw)
      throws Exception {
    long docs = opts.compactionDocs;
    int updates = opts.compactionUpdates;
    long total = docs * updates;
    String db = "bench_compaction";
    Pipeline.createDatabase(env.pg().jdbcUrl(), db);
    JsonObject overrides = env.overrides().copy();
    Pipeline.deepMerge(
        overrides,
        new JsonObject()
            .put(
                "oplog",
                new JsonObject().put("retain_history_ms", 0).put("compaction_interval_ms", 0)));
    Path work = env.work();
    JsonObject cfg =
        Pipeline.config(
            overrides,
            env.pgUrl(db),
            env.mongo().url("app"),
            work.resolve("compaction-node"),
            "oplog");
    Vertx vertx = Pipeline.vertx(cfg);
    OplogClient oplog = new OplogClient(vertx.eventBus());
    Node oplogNode = null;
    try {
      oplogNode = Pipeline.deploy(vertx, cfg);
      String entity = "bench_compact";
      String streamEntity = "bench_compact_stream";
      String warmupEntity = "bench_compact_warmup";
      for (String name : List.of(entity, streamEntity, warmupEntity)) {
        Pipeline.createEntity(vertx, Docs.entityDefinition(name, "src_" + name));
        IngestApplyStages.makeLive(vertx, name);
      }

      // a warm-up run first, on a tenth of the documents of an entity of its own, while the same
      // stream appends go on: the measured run then finds the compaction and append code compiled
      // (its first run in a JVM spent ~0.7 of a core in the JIT compiler while the candidate read
      // took the other); reported as first_run
      long warmDocs = Math.max(1, docs / 10);
      Loader warmLoader =
          new Loader(vertx, warmupEntity, warmDocs, warmDocs * updates, opts.batch, opts.window);
      vertx.runOnContext(v -> warmLoader.pump());
      warmLoader.done.get(60, TimeUnit.MINUTES);
      LOG.info("compaction: a warm-up run over {} rows of {}", warmDocs * updates, warmupEntity);
      AppendLoop warmAppends = new AppendLoop(vertx, streamEntity);
      warmAppends.start();
      CompactionReply warmRun =
          Pipeline.await(
              oplog.compact("benchmark warm-up", TimeUnit.MINUTES.toMillis(60)),
              TimeUnit.MINUTES.toSeconds(61));
      Percentiles warmP = warmAppends.stopAndWait();
      // gone before the load: its rows are not in the measured run, nor in the fresh node's
      // bootstrap (which would apply them uncounted)
      Pipeline.await(
          Bus.request(
              vertx.eventBus(),
              Addresses.ENTITIES_DELETE,
              new EntityNameRequest(warmupEntity),
              EntityReply.class),
          60);
      long purgeDeadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
      while (oplogRows(env.jdbc(db), warmupEntity) > 0) {
        if (System.nanoTime() > purgeDeadline) {
          throw new IllegalStateException("compaction: the warm-up entity was not purged in 5 min");
        }
        Thread.sleep(200);
      }

      LOG.info("compaction: appending {} documents x {} updates = {} rows", docs, updates, total);
      long tLoad = System.nanoTime();
      Loader loader = new Loader(vertx, entity, docs, total, opts.batch, opts.window);
      vertx.runOnContext(v -> loader.pump());
      loader.done.get(60, TimeUnit.MINUTES);
      double loadSeconds = (System.nanoTime() - tLoad) / 1e9;
      if (loader.appended != total) {
        throw new IllegalStateException(
            "compaction: the oplog appended " + loader.appended + " of " + total + " rows");
      }

      // both append windows start from the same steady state: without this the baseline window
      // fell into the autovacuum the 2M-row load triggers (baseline p99 27-37 ms in two of five
      // runs, 4-6 ms in the others)
      settle(env.jdbc(db));
      LOG.info("compaction: stream appends alone for {} s", opts.compactionAppendSeconds);
      AppendLoop alone = new AppendLoop(vertx, streamEntity);
      AutovacuumWatch vacuumAlone = new AutovacuumWatch(env.jdbc(db));
      long[] walAlone0 = wal(env.jdbc(db));
      alone.start();
      Thread.sleep(Math.round(opts.compactionAppendSeconds * 1000));
      Percentiles aloneP = alone.stopAndWait();
      JsonObject walAlone = walDelta(walAlone0, wal(env.jdbc(db)));
      vacuumAlone.close();
      // before: the loaded rows plus the baseline loop's; the second loop appends during the run
      OplogStatsReply before = Pipeline.await(oplog.stats(), 300);

      LOG.info("compaction: one compaction run while the same stream appends go on");
      AppendLoop during = new AppendLoop(vertx, streamEntity);
      long checkpointsBefore = checkpoints(env.jdbc(db));
      CpuMeter cpu = new CpuMeter(env.mongo().pid()).start();
      AutovacuumWatch vacuumDuring = new AutovacuumWatch(env.jdbc(db));
      long[] walDuring0 = wal(env.jdbc(db));
      during.start();
      long tc = System.nanoTime();
      CompactionReply run =
          Pipeline.await(
              oplog.compact("benchmark", TimeUnit.MINUTES.toMillis(60)),
              TimeUnit.MINUTES.toSeconds(61));
      long compactNanos = System.nanoTime() - tc;
      Percentiles duringP = during.stopAndWait();
      JsonObject cpuJson = cpu.stop();
      JsonObject walDuring = walDelta(walDuring0, wal(env.jdbc(db)));
      vacuumDuring.close();
      long checkpointsDuring = checkpoints(env.jdbc(db)) - checkpointsBefore;
      OplogStatsReply after = Pipeline.await(oplog.stats(), 300);

      long rowsBefore = before.rowsByEntity().getOrDefault(entity, 0L);
      long rowsAfter = after.rowsByEntity().getOrDefault(entity, 0L);
      LOG.info(
          "compaction: {} -> {} rows of {}, {} removed in {} ms",
          rowsBefore,
          rowsAfter,
          entity,
          run.removed(),
          run.durationMs());
      checkCompactedState(oplog, entity, docs, updates);

      // fresh-node bootstrap from the compacted oplog, measured like the apply stage
      List<String> names = List.of(entity, streamEntity);
      List<Long> targets;
      try (Connection c = DriverManager.getConnection(env.jdbc(db))) {
        targets = Pipeline.maxIds(c, names);
      }
      // first a warm-up node bootstraps the same compacted oplog into its own data dir (as the raw
      // SQLite upsert runs a warm-up first): the measured node's build then runs on warm JIT, not
      // on the JVM's first pass through the replicator and cache code; both are reported
      Boot cold =
          bootstrap(
              vertx,
              overrides,
              env,
              db,
              work.resolve("compaction-replica-warmup"),
              "compaction-warmup",
              names,
              targets,
              docs);
      LOG.info("compaction: a fresh replicator node bootstraps from the compacted oplog");
      CpuMeter bootCpu = new CpuMeter(env.mongo().pid()).start();
      Boot boot =
          bootstrap(
              vertx,
              overrides,
              env,
              db,
              work.resolve("compaction-replica"),
              "compaction-replica",
              names,
              targets,
              docs);
      JsonObject bootCpuJson = bootCpu.stop();
      long bootRows = boot.rows();
      long bootNanos = boot.nanos();
      long deployNanos = boot.deployNanos();
      // a fresh node upserts every oplog row of its entities: the main entity's compacted rows and
      // the stream entity's rows appended while the run went (above its H, so not compacted);
      // counting only the rows the caches end with left ~90,000 upserts of each bootstrap unpaid
      long appliedRows = 0;
      for (String name : names) {
        appliedRows += after.rowsByEntity().getOrDefault(name, 0L);
      }
      double bootPerS = appliedRows / (bootNanos / 1e9);
      double sqlitePerS = sqliteLimit(opts, env, raw);

      double removedPerS = run.durationMs() > 0 ? run.removed() / (run.durationMs() / 1000.0) : 0;
      stages.put(
          "compaction",
          new JsonObject()
              .put("documents", docs)
              .put("updates_per_document", updates)
              .put("retain_history_ms", 0)
              .put("chunk_rows", cfg.getJsonObject("oplog").getValue("chunk_rows"))
              .put("load_seconds", BenchMain.round(loadSeconds, 3))
              .put("rows_before", rowsBefore)
              .put("rows_after", rowsAfter)
              .put("rows_after_per_document", BenchMain.round(rowsAfter / (double) docs, 4))
              .put("stream_rows_before", before.rowsByEntity().getOrDefault(streamEntity, 0L))
              .put("stream_rows_after", after.rowsByEntity().getOrDefault(streamEntity, 0L))
              .put("table_rows_before", before.rows())
              .put("table_rows_after", after.rows())
              .put("bytes_before", bytes(before))
              .put("bytes_after", bytes(after))
              .put(
                  "bytes_note",
                  "before: after the load and the baseline append loop; after: after the run (its"
                      + " VACUUM makes the space reusable, it does not return it to the OS) and the"
                      + " appends made while it ran")
              .put("run", run.toJson())
              .put("removed", run.removed())
              .put("seconds", BenchMain.round(run.durationMs() / 1000.0, 3))
              .put("request_seconds", BenchMain.round(compactNanos / 1e9, 3))
              .put("removed_per_s", Math.round(removedPerS))
              .put(
                  "first_run",
                  new JsonObject()
                      .put("entity", warmupEntity)
                      .put("documents", warmDocs)
                      .put("run", warmRun.toJson())
                      .put("appends_during", warmP.toJson())
                      .put(
                          "is",
                          "the warm-up run before the load (cold JIT), while the same stream"
                              + " appends went on; the measured run is the second of the JVM"))
              .put(
                  "appends",
                  new JsonObject()
                      .put("batch", APPEND_BATCH)
                      .put("period_ms", APPEND_PERIOD_MS)
                      .put("entity", streamEntity)
                      .put("alone_seconds", opts.compactionAppendSeconds)
                      .put("alone", aloneP.toJson())
                      .put("during_compaction", duringP.toJson())
                      .put("refused_alone", alone.refused)
                      .put("refused_during_compaction", during.refused)
                      .put("first_refusal_during_compaction", during.firstRefusal)
                      .put(
                          "refused_note",
                          "appends the oplog writer refused (UNAVAILABLE: its queue of"
                              + " max_queued_writes was full because appends arrived faster than"
                              + " it committed them); not in the percentiles, which are of the"
                              + " acked appends; any refusal misses the p99 target")
                      .put("slowest_during_ms", during.slowest(20)))
              .put("append_p99_alone_ms", Percentiles.ms(aloneP.at(0.99)))
              .put("append_p99_during_ms", Percentiles.ms(duringP.at(0.99)))
              .put("append_refused_during", during.refused)
              .put(
                  "append_p99_ratio",
                  BenchMain.round(duringP.at(0.99) / (double) Math.max(1, aloneP.at(0.99)), 3))
              .put("compacted_state_checked", true)
              .put("pg_checkpoints_during", checkpointsDuring)
              .put(
                  "wal",
                  new JsonObject()
                      .put("alone", walAlone)
                      .put("during_compaction", walDuring)
                      .put(
                          "note", "pg_stat_wal deltas of the whole server over each append window"))
              .put(
                  "autovacuum_workers",
                  new JsonObject()
                      .put("alone", vacuumAlone.toJson())
                      .put("during_compaction", vacuumDuring.toJson())
                      .put(
                          "note",
                          "PostgreSQL autovacuum workers in any database of the server, polled"
                              + " every 200 ms in each append window (AutovacuumWatch)"))
              .put(
                  "bootstrap",
                  new JsonObject()
                      .put("rows", bootRows)
                      .put("oplog_rows_applied", appliedRows)
                      .put("caches", names.size())
                      .put("seconds", BenchMain.round(bootNanos / 1e9, 3))
                      .put("deploy_seconds", BenchMain.round(deployNanos / 1e9, 3))
                      .put("rows_per_s", Math.round(bootPerS))
                      .put(
                          "rows_per_s_is",
                          "oplog_rows_applied (every oplog row of the node's entities, one SQLite"
                              + " upsert each, like the raw limit) over seconds; rows: the rows its"
                              + " caches hold at the end")
                      .put(
                          "timed_from",
                          "replicator deploy on a fresh data dir, until every cache's last_oplog_id"
                              + " reaches its entity's last oplog id; the node measured is the"
                              + " second fresh node of the run: a warm-up node (own data dir, own"
                              + " node id) bootstrapped the same compacted oplog first, as the raw"
                              + " SQLite upsert runs a warm-up first (first_node: that cold-JIT"
                              + " bootstrap, same timing)")
                      .put(
                          "first_node",
                          new JsonObject()
                              .put("rows", cold.rows())
                              .put("seconds", BenchMain.round(cold.nanos() / 1e9, 3))
                              .put("deploy_seconds", BenchMain.round(cold.deployNanos() / 1e9, 3))
                              .put("rows_per_s", Math.round(appliedRows / (cold.nanos() / 1e9)))
                              .put(
                                  "ratio_to_raw",
                                  BenchMain.round(
                                      appliedRows / (cold.nanos() / 1e9) / sqlitePerS, 3)))
                      .put("cpu", bootCpuJson)
                      .put("raw_limit", "sqlite_upsert")
                      .put("raw_limit_per_s", Math.round(sqlitePerS))
                      .put("ratio_to_raw", BenchMain.round(bootPerS / sqlitePerS, 3)))
              .put("cpu", cpuJson));
    } finally {
      if (oplogNode != null) {
        Pipeline.undeploy(oplogNode);
      }
      Pipeline.await(vertx.close(), 60);
    }
  }

  /** One fresh node's bootstrap: rows in its caches, time from deploy, deploy time. */
  record Boot(long rows, long nanos, long deployNanos) {}

  /**
   * Deploys a replicator node on the fresh {@code dataDir} (node id {@code nodeId}), times it until
   * every cache reaches its entity's last oplog id, checks the main cache holds {@code docs} rows,
   * and undeploys it.
   */
  private static Boot bootstrap(
      Vertx vertx,
      JsonObject overrides,
      BenchEnv env,
      String db,
      Path dataDir,
      String nodeId,
      List<String> names,
      List<Long> targets,
      long docs)
      throws Exception {
    JsonObject repCfg =
        Pipeline.config(overrides, env.pgUrl(db), env.mongo().url("app"), dataDir, "replicator");
    repCfg.put("node_id", nodeId);
    List<CacheProbe> probes = names.stream().map(n -> new CacheProbe(dataDir, n)).toList();
    long tb = System.nanoTime();
    Node node = Pipeline.deploy(vertx, repCfg);
    try {
      long deployNanos = System.nanoTime() - tb;
      IngestApplyStages.awaitHead(probes, targets, "compaction bootstrap");
      long bootNanos = System.nanoTime() - tb;
      long mainRows = probes.get(0).count();
      long rows = 0;
      for (CacheProbe p : probes) {
        rows += p.count();
        p.close();
      }
      if (mainRows != docs) {
        throw new IllegalStateException(
            "compaction: the bootstrapped cache holds " + mainRows + " rows, expected " + docs);
      }
      return new Boot(rows, bootNanos, deployNanos);
    } finally {
      Pipeline.undeploy(node);
    }
  }

  /** Checkpoints PostgreSQL has started (timed + requested), -1 when the view is missing. */
  private static long oplogRows(String jdbc, String entity) throws java.sql.SQLException {
    try (Connection c = DriverManager.getConnection(jdbc);
        var st = c.prepareStatement("SELECT count(*) FROM oplog WHERE entity = ?")) {
      st.setString(1, entity);
      try (var rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** VACUUM (ANALYZE) and CHECKPOINT of the loaded oplog, waited for. */
  private static void settle(String jdbc) throws java.sql.SQLException {
    long t0 = System.nanoTime();
    try (Connection c = DriverManager.getConnection(jdbc);
        var st = c.createStatement()) {
      st.execute("VACUUM (ANALYZE) oplog");
      st.execute("CHECKPOINT");
    }
    LOG.info(
        "compaction: the loaded oplog vacuumed and checkpointed in {} ms",
        (System.nanoTime() - t0) / 1_000_000);
  }

  /**
   * The server's WAL counters ({@code pg_stat_wal}: records, full-page images, bytes, syncs), to
   * set a window's WAL volume beside its append latencies (a VACUUM after a checkpoint writes a
   * full-page image for every page it dirties first).
   */
  private static long[] wal(String jdbc) {
    try (Connection c = DriverManager.getConnection(jdbc);
        var st = c.createStatement();
        var rs =
            st.executeQuery("SELECT wal_records, wal_fpi, wal_bytes, wal_sync FROM pg_stat_wal")) {
      rs.next();
      return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4)};
    } catch (java.sql.SQLException e) {
      LOG.warn(
          "compaction: pg_stat_wal not readable, the window's WAL is not recorded: {}",
          e.toString());
      return null;
    }
  }

  private static JsonObject walDelta(long[] before, long[] after) {
    if (before == null || after == null) {
      return null;
    }
    return new JsonObject()
        .put("records", after[0] - before[0])
        .put("full_page_images", after[1] - before[1])
        .put("mb", BenchMain.round((after[2] - before[2]) / 1048576.0, 1))
        .put("syncs", after[3] - before[3]);
  }

  private static long checkpoints(String jdbc) {
    try (Connection c = DriverManager.getConnection(jdbc);
        var st = c.createStatement();
        var rs = st.executeQuery("SELECT num_timed + num_requested FROM pg_stat_checkpointer")) {
      rs.next();
      return rs.getLong(1);
    } catch (java.sql.SQLException e) {
      return -1;
    }
  }

  private static JsonObject bytes(OplogStatsReply s) {
    return new JsonObject()
        .put("table", s.tableBytes())
        .put("index", s.indexBytes())
        .put("total", s.totalBytes());
  }

  /** The run's raw SQLite upsert limit; measured here when the run has none. */
  private static double sqliteLimit(BenchMain opts, BenchEnv env, RawLimitsStage.Limits raw)
      throws Exception {
    if (raw != null && raw.sqlite() != null) {
      return raw.sqlite().perSecond();
    }
    long rows = opts.rawRows;
    return RawLimits.sqliteUpsert(
            env.work().resolve("compaction-raw-sqlite"),
            rows,
            Math.min(rows, 20_000),
            opts.sqliteSynchronous)
        .perSecond();
  }

  /**
   * Reads the compacted state of {@code entity} from 0: exactly one row per document, an upsert of
   * its last update. Throws (failing the stage) otherwise.
   */
  static void checkCompactedState(OplogClient oplog, String entity, long docs, int updates)
      throws Exception {
    Set<String> seen = new HashSet<>();
    long after = 0;
    int lastAge = updates - 1;
    while (true) {
      OplogReadReply page =
          Pipeline.await(oplog.readCompacted(after, 10_000, List.of(entity)), 120);
      if (page.rows().isEmpty()) {
        break;
      }
      for (Oplog row : page.rows()) {
        if (!seen.add(row.docId())) {
          throw new IllegalStateException(
              "compaction: the compacted state holds document " + row.docId() + " twice");
        }
        long d = Long.parseLong(row.docId().substring(1));
        JsonObject want = value(d, lastAge);
        if (row.operation() != Operation.Upsert
            || row.data() == null
            || !want.getString("id").equals(row.data().getString("id"))
            || !Integer.valueOf(lastAge).equals(row.data().getInteger("age"))
            || !want.getString("name").equals(row.data().getString("name"))) {
          throw new IllegalStateException(
              "compaction: document "
                  + row.docId()
                  + " is not at its last value in the compacted state: "
                  + row.toJson().encode()
                  + ", expected "
                  + want.encode());
        }
      }
      after = page.nextAfter();
    }
    if (seen.size() != docs) {
      throw new IllegalStateException(
          "compaction: the compacted state holds " + seen.size() + " documents, expected " + docs);
    }
  }

  /** Document {@code d} after update {@code u}: its projected columns with {@code age = u}. */
  static JsonObject value(long d, int u) {
    return Docs.projected(d).put("age", u);
  }

  /**
   * Appends rows {@code 0..total-1} (row {@code i}: document {@code i % docs}, update {@code i /
   * docs}) in listener-shaped stream batches, at most {@code window} unacked, like {@link
   * IngestStage}.
   */
  private static final class Loader {
    final Vertx vertx;
    final String entity;
    final long docs;
    final long end;
    final int batch;
    final int window;
    final CompletableFuture<Void> done = new CompletableFuture<>();
    long next;
    int inflight;
    long appended;

    Loader(Vertx vertx, String entity, long docs, long end, int batch, int window) {
      this.vertx = vertx;
      this.entity = entity;
      this.docs = docs;
      this.end = end;
      this.batch = batch;
      this.window = window;
    }

    void pump() {
      while (inflight < window && next < end && !done.isDone()) {
        long lo = next;
        long hi = Math.min(end, lo + batch);
        next = hi;
        List<OplogEntry> list = new ArrayList<>((int) (hi - lo));
        for (long i = lo; i < hi; i++) {
          long d = i % docs;
          list.add(
              new OplogEntry(Operation.Upsert, entity, Docs.docId(d), value(d, (int) (i / docs))));
        }
        inflight++;
        send(
            AppendBatch.stream(
                "bench-compaction", new JsonObject().put("_data", Long.toHexString(hi)), list),
            0);
      }
      if (next >= end && inflight == 0) {
        done.complete(null);
      }
    }

    void send(AppendBatch b, int attempt) {
      Bus.request(vertx.eventBus(), Addresses.OPLOG_APPEND, b, AppendResult.class)
          .onComplete(
              ar -> {
                if (ar.failed()) {
                  if (ErrorCodes.retriable(Bus.codeOf(ar.cause())) && attempt < 300) {
                    vertx.setTimer(100, t -> send(b, attempt + 1));
                  } else {
                    done.completeExceptionally(
                        new IllegalStateException(
                            "append failed: " + Bus.textOf(ar.cause()), ar.cause()));
                  }
                  return;
                }
                inflight--;
                appended += ar.result().appended();
                pump();
              });
    }
  }

  /**
   * Small stream appends at a fixed rate ({@link #APPEND_BATCH} entries every {@link
   * #APPEND_PERIOD_MS} ms, each sent on schedule whether or not the previous one was acked): the
   * latency of each is its ack time minus its send time. Runs on one Vert.x context.
   */
  private static final class AppendLoop {
    final Vertx vertx;
    final Context ctx;
    final String entity;
    final List<Long> latencies = new ArrayList<>();
    final List<Long> sentAt = new ArrayList<>();
    final long origin = System.nanoTime();
    final CompletableFuture<Void> drained = new CompletableFuture<>();
    long timer = -1;
    boolean stopped;
    int inflight;
    long seq;
    String failure;

    /** Appends the writer refused because its queue was full (UNAVAILABLE): counted, not timed. */
    int refused;

    String firstRefusal;

    AppendLoop(Vertx vertx, String entity) {
      this.vertx = vertx;
      this.ctx = vertx.getOrCreateContext();
      this.entity = entity;
    }

    void start() {
      ctx.runOnContext(v -> timer = vertx.setPeriodic(1, APPEND_PERIOD_MS, t -> sendOne()));
    }

    void sendOne() {
      if (stopped) {
        return;
      }
      List<OplogEntry> list = new ArrayList<>(APPEND_BATCH);
      for (int k = 0; k < APPEND_BATCH; k++) {
        long s = seq++;
        list.add(
            new OplogEntry(
                Operation.Upsert, entity, Docs.docId(s % APPEND_DOCS), Docs.projected(s)));
      }
      inflight++;
      long t0 = System.nanoTime();
      Bus.request(
              vertx.eventBus(),
              Addresses.OPLOG_APPEND,
              AppendBatch.stream(
                  "bench-compaction-stream",
                  new JsonObject().put("_data", Long.toHexString(seq)),
                  list),
              AppendResult.class)
          .onComplete(
              ar -> {
                inflight--;
                if (ar.failed()) {
                  String text = Bus.textOf(ar.cause());
                  if (Bus.codeOf(ar.cause()) == ErrorCodes.UNAVAILABLE
                      && text != null
                      && text.contains("queue is full")) {
                    refused++;
                    if (firstRefusal == null) {
                      firstRefusal = Math.round((t0 - origin) / 1e6) + " ms: " + text;
                    }
                  } else {
                    failure = text;
                  }
                } else {
                  latencies.add(System.nanoTime() - t0);
                  sentAt.add(t0 - origin);
                }
                if (stopped && inflight == 0) {
                  drained.complete(null);
                }
              });
    }

    /**
     * The {@code n} slowest appends: {@code [ms after the loop started, latency ms]}, by send time
     * (where in a compaction run the stalls fall). Call after {@link #stopAndWait}.
     */
    JsonArray slowest(int n) {
      List<long[]> all = new ArrayList<>();
      for (int i = 0; i < latencies.size(); i++) {
        all.add(new long[] {sentAt.get(i), latencies.get(i)});
      }
      all.sort((a, b) -> Long.compare(b[1], a[1]));
      List<long[]> top = new ArrayList<>(all.subList(0, Math.min(n, all.size())));
      top.sort((a, b) -> Long.compare(a[0], b[0]));
      JsonArray out = new JsonArray();
      for (long[] a : top) {
        out.add(new JsonArray().add(Math.round(a[0] / 1e6)).add(Percentiles.ms(a[1])));
      }
      return out;
    }

    /** Stops sending, waits for the outstanding acks, returns the latencies. */
    Percentiles stopAndWait() throws Exception {
      ctx.runOnContext(
          v -> {
            stopped = true;
            vertx.cancelTimer(timer);
            if (inflight == 0) {
              drained.complete(null);
            }
          });
      drained.get(120, TimeUnit.SECONDS);
      CompletableFuture<long[]> values = new CompletableFuture<>();
      ctx.runOnContext(
          v -> values.complete(latencies.stream().mapToLong(Long::longValue).toArray()));
      long[] v = values.get(30, TimeUnit.SECONDS);
      if (failure != null) {
        throw new IllegalStateException("compaction: a stream append failed: " + failure);
      }
      if (v.length == 0) {
        throw new IllegalStateException("compaction: no stream append was acked");
      }
      return new Percentiles(v);
    }
  }
}
