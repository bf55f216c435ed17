package io.emcachers.bench;

import io.emcachers.core.client.VerifyClient;
import io.emcachers.core.messages.VerifyJob;
import io.emcachers.core.model.Shape;
import io.emcachers.core.projection.Projection;
import io.emcachers.launcher.Node;
import io.emcachers.mongo.MongoSource;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.MongoClient;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bson.BsonDocument;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 6, the verifier ({@code modules/verify-verticle}) on a node with every data role (oplog,
 * replicator + verify, listener, cache-db), over {@code --verify-docs} documents replicated into
 * one cache:
 *
 * <ol>
 *   <li>two untimed warm-up runs ({@link #WARMUP_RUNS}, {@code repair: false}): the JIT compiles
 *       the verifier's paths in a JVM's first runs;
 *   <li>the raw MongoDB scan of the same collection in the same run, read exactly as the verifier's
 *       source pass reads it ({@link MongoSource#cursor} in {@code _id} order, pages of {@code
 *       verify.page_docs}), and the same scan of the shape's fields only;
 *   <li>a run with no drift ({@code repair: false}, {@code verify.max_docs_per_second} 0);
 *   <li>{@code --verify-drift} of the documents made to differ — rows deleted from and edited in
 *       the SQLite file, rows the source never had inserted into it, and source documents changed
 *       by {@code findOneAndUpdate}, which the test server records no change event for — then a run
 *       with {@code repair: true}, whose counts must equal the injected drift exactly;
 *   <li>a last run with {@code repair: false} that must find nothing (the repair converged).
 * </ol>
 *
 * Each timed run comes right after a raw scan of its own, and its ratio is against that scan. Each
 * run's docs/s is its documents checked over the verifier's own duration (all five steps). Heap:
 * the benchmark JVM's ({@link MemorySampler}); it hosts the whole node and the driver.
 */
final class VerifyStage {

  private static final Logger LOG = LoggerFactory.getLogger("emcachers.bench");

  static final String ENTITY = "bench_verify";

  private static final long MB = 1024 * 1024;

  private VerifyStage() {}

  /** The collection the stage verifies: the snapshot's when the sizes agree, else its own. */
  static String collection(BenchMain opts) {
    return opts.verifyDocs.equals(opts.snapshotDocs)
        ? Docs.DOCS_COLLECTION
        : Docs.VERIFY_COLLECTION;
  }

  /** Runs the stage and records it as {@code stages.verify}; throws when a count is wrong. */
  static void run(BenchMain opts, BenchEnv env, JsonObject stages) throws Exception {
    MongoChild mongo = env.mongo();
    long n = opts.verifyDocs;
    String collection = collection(opts);
    Drift drift = Drift.of(n, opts.verifyDrift);
    String db = "bench_verify";
    Pipeline.createDatabase(env.pg().jdbcUrl(), db);
    Path dataDir = env.work().resolve("verify-node");
    // the stage's verifier settings first, the user's --set overrides win
    JsonObject overrides =
        new JsonObject()
            .put(
                "verify",
                new JsonObject()
                    .put("max_docs_per_second", 0)
                    .put("max_candidates", Math.max(10_000, 2 * drift.total())));
    Pipeline.deepMerge(overrides, env.overrides());
    JsonObject cfg =
        Pipeline.config(
            overrides, env.pgUrl(db), mongo.url("app"), dataDir, "oplog", "replicator", "listener");
    int pageDocs = cfg.getJsonObject("verify").getInteger("page_docs", 1000);
    Vertx vertx = Pipeline.vertx(cfg);
    Node node = null;
    try (Connection pgc = DriverManager.getConnection(env.jdbc(db));
        CacheProbe probe = new CacheProbe(dataDir, ENTITY)) {
      node = Pipeline.deploy(vertx, cfg);
      LOG.info("verify: replicating {} documents of {} into a cache", n, collection);
      Pipeline.createEntity(vertx, Docs.entityDefinition(ENTITY, collection));
      PipelineStages.waitVisible(pgc, probe, ENTITY, n, TimeUnit.MINUTES.toNanos(60));
      VerifyClient verify = new VerifyClient(vertx.eventBus());

      // recorded as it goes: a failed run keeps the figures measured before it
      JsonObject out =
          new JsonObject()
              .put("docs", n)
              .put("collection", collection)
              .put("page_docs", pageDocs)
              .put("drift_fraction", opts.verifyDrift)
              .put("verify_config", cfg.getJsonObject("verify"))
              .put("max_heap_mb", Runtime.getRuntime().maxMemory() / MB)
              .put(
                  "heap_note",
                  "heap of the benchmark JVM, sampled every 20 ms plus every GC's before/after figure"
                      + " (MemorySampler): it includes the whole node (oplog, listener, replicator,"
                      + " cache-db, verifier) and the benchmark driver; heap_before_run_mb is what"
                      + " that JVM held after a System.gc() just before the run; the MongoDB server"
                      + " runs in its own JVM, PostgreSQL in its own processes")
              .put(
                  "timed",
                  "docs_per_s = documents checked / the run's duration_ms as the verifier reports"
                      + " it (all five steps, re-check and repair included)");
      stages.put("verify", out);
      try {
        // (a) warm-up: the JIT compiles the verifier's paths in the first runs of a JVM (its
        // compiler threads took 1.7-1.8 CPU-s of a 10 CPU-s pass); a node that verifies on a
        // schedule has them compiled, so the timed runs come after two untimed ones
        JsonArray warmups = new JsonArray();
        out.put("warmup_runs", warmups);
        for (int i = 0; i < WARMUP_RUNS; i++) {
          LOG.info(
              "verify: warm-up run {} of {} (repair false, not a target figure)",
              i + 1,
              WARMUP_RUNS);
          quiesce(mongo);
          Measured w = measure(vertx, verify, false, mongo.pid());
          expectClean(w.job(), n, "warm-up");
          warmups.add(
              new JsonObject()
                  .put("docs_per_s", Math.round(w.perSecond()))
                  .put("duration_ms", w.job().durationMs())
                  .put("cpu", w.cpu()));
        }
        // (b) the raw scan, as the verifier's source pass reads
        LOG.info("verify: raw scan of {} documents (pages of {})", n, pageDocs);
        JsonObject rawJson =
            new JsonObject()
                .put(
                    "what",
                    "MongoSource.cursor over the same collection in _id order, pages of"
                        + " verify.page_docs (the verifier's driver, read concern and paging),"
                        + " nothing else done; each timed run has one more of its own right before"
                        + " it (raw_scan_before), which its ratio_to_raw is against");
        out.put("raw_scan", rawJson);
        RawLimits.Result scan = rawScan(vertx, mongo, collection, pageDocs, n, rawJson);
        BsonDocument fields =
            new Projection(
                    Shape.fromJson(Docs.entityDefinition("v", collection).getJsonObject("shape")))
                .sourceFields();
        LOG.info("verify: raw scan of the fields the verifier reads: {}", fields.toJson());
        quiesce(mongo);
        CpuMeter fieldsCpu = new CpuMeter(mongo.pid()).start();
        RawLimits.Result fieldScan =
            RawLimits.pagedScan(vertx, mongo.url("app"), collection, fields, pageDocs, n);
        out.put(
            "raw_scan_shape_fields",
            new JsonObject()
                .put("docs", fieldScan.count())
                .put("seconds", BenchMain.round(fieldScan.seconds(), 3))
                .put("docs_per_s", Math.round(fieldScan.perSecond()))
                .put("fields", fields.toJson())
                .put("cpu", fieldsCpu.stop())
                .put(
                    "what",
                    "the same cursor reading only the fields the shape needs"
                        + " (Projection#sourceFields), as the verifier's source pass asks the"
                        + " server for them; raw_scan (whole documents) stays the target's"
                        + " baseline"));

        // (c) no drift
        LOG.info("verify: run without drift (repair false)");
        JsonObject cleanJson = new JsonObject();
        out.put("clean", cleanJson);
        Measured clean =
            timed(vertx, verify, false, mongo, collection, pageDocs, n, scan, fieldScan, cleanJson);
        expectClean(clean.job(), n, "no drift");

        // (d) drift, repaired
        LOG.info(
            "verify: injecting {} differences ({} rows deleted and {} edited in the file, {} extra"
                + " rows, {} source documents changed without a change event)",
            drift.total(),
            drift.deleted().size(),
            drift.edited().size(),
            drift.extras(),
            drift.source().size());
        drift.inject(probe.file(), vertx, mongo.url("app"), collection);
        JsonObject fixJson = new JsonObject();
        out.put("drift", fixJson);
        Measured fix =
            timed(vertx, verify, true, mongo, collection, pageDocs, n, scan, fieldScan, fixJson);
        JsonObject expected = drift.expectedCounts(n);
        boolean match = fix.job().counts().toJson().equals(expected);
        fixJson
            .put("injected", drift.toJson())
            .put("expected_counts", expected)
            .put("counts_match_injected", match);
        expect(fix.job(), "drift, repair", match, expected);

        // (e) nothing left
        waitCaughtUp(pgc, probe);
        LOG.info("verify: check run after the repair (repair false)");
        JsonObject checkJson = new JsonObject();
        out.put("check_after_repair", checkJson);
        Measured check =
            timed(vertx, verify, false, mongo, collection, pageDocs, n, scan, fieldScan, checkJson);
        VerifyJob.Counts k = check.job().counts();
        expect(
            check.job(),
            "after the repair",
            k.docsChecked() == n
                && k.matched() == n
                && k.missing() + k.different() + k.extra() == 0,
            null);
      } catch (Exception e) {
        out.put("error", String.valueOf(e));
        throw e;
      }
    } finally {
      if (node != null) {
        Pipeline.undeploy(node);
      }
      Pipeline.await(vertx.close(), 60);
    }
  }

  /** The raw paged scan of whole documents, as recorded in the stage's JSON. */
  private static RawLimits.Result rawScan(
      Vertx vertx, MongoChild mongo, String collection, int pageDocs, long n, JsonObject into)
      throws Exception {
    quiesce(mongo);
    CpuMeter scanCpu = new CpuMeter(mongo.pid()).start();
    RawLimits.Result scan =
        RawLimits.pagedScan(vertx, mongo.url("app"), collection, null, pageDocs, n);
    into.put("docs", scan.count())
        .put("seconds", BenchMain.round(scan.seconds(), 3))
        .put("docs_per_s", Math.round(scan.perSecond()))
        .put("cpu", scanCpu.stop());
    return scan;
  }

  /**
   * One timed run, right after a raw scan of its own: the run's {@code ratio_to_raw} is against
   * that scan, so a machine whose speed drifts during the stage (this VM's varies by a third from
   * run to run) slows both alike; the first scan's ratio is kept as {@code ratio_to_first_raw}.
   */
  private static Measured timed(
      Vertx vertx,
      VerifyClient verify,
      boolean repair,
      MongoChild mongo,
      String collection,
      int pageDocs,
      long n,
      RawLimits.Result first,
      RawLimits.Result fieldScan,
      JsonObject into)
      throws Exception {
    JsonObject rawBefore = new JsonObject();
    RawLimits.Result scan = rawScan(vertx, mongo, collection, pageDocs, n, rawBefore);
    quiesce(mongo);
    Measured m = measure(vertx, verify, repair, mongo.pid());
    into.mergeIn(m.toJson(scan, fieldScan))
        .put("raw_scan_before", rawBefore)
        .put("ratio_to_first_raw", BenchMain.round(m.perSecond() / first.perSecond(), 3));
    return m;
  }

  /** Untimed runs before the timed ones (see the stage's step (a)). */
  static final int WARMUP_RUNS = 2;

  private static void expectClean(VerifyJob job, long n, String what) {
    VerifyJob.Counts c = job.counts();
    expect(
        job,
        what,
        c.docsChecked() == n
            && c.matched() == n
            && c.missing() + c.different() + c.extra() == 0
            && c.repairedLocal() + c.repairedOplog() + c.superseded() + c.repairFailed() == 0,
        null);
  }

  /** One verification run with its heap and CPU. */
  record Measured(VerifyJob job, JsonObject memory, JsonObject cpu, double wallSeconds) {

    double perSecond() {
      return job.counts().docsChecked() / (Math.max(1, job.durationMs()) / 1000.0);
    }

    JsonObject toJson(RawLimits.Result scan, RawLimits.Result fieldsScan) {
      return new JsonObject()
          .put("repair", job.repair())
          .put("state", job.state())
          .put("duration_ms", job.durationMs())
          .put("wall_seconds", BenchMain.round(wallSeconds, 3))
          .put("docs_per_s", Math.round(perSecond()))
          .put("ratio_to_raw", BenchMain.round(perSecond() / scan.perSecond(), 3))
          .put(
              "ratio_to_raw_shape_fields",
              fieldsScan == null ? null : BenchMain.round(perSecond() / fieldsScan.perSecond(), 3))
          .put("counts", job.counts().toJson())
          .mergeIn(memory)
          .put("cpu", cpu);
    }
  }

  /**
   * Both JVMs collect their garbage before a timed run: the replication fill, the drift injection
   * and the run before leave garbage whose collection would otherwise land in whichever run comes
   * next (the test server's took up to 3 CPU-s of one verification pass).
   */
  private static void quiesce(MongoChild mongo) throws java.io.IOException {
    mongo.command("gc");
    System.gc();
  }

  private static Measured measure(Vertx vertx, VerifyClient verify, boolean repair, long mongoPid)
      throws Exception {
    System.gc();
    long before =
        java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    CpuMeter cpu = new CpuMeter(mongoPid);
    VerifyJob job;
    long t0;
    long nanos;
    JsonObject memory;
    try (MemorySampler mem = new MemorySampler()) {
      cpu.start();
      t0 = System.nanoTime();
      job = awaitFinished(verify, start(verify, repair));
      nanos = System.nanoTime() - t0;
      memory =
          new JsonObject()
              .put("peak_heap_used_mb", mem.peakUsed() / MB)
              .put("peak_heap_live_after_gc_mb", mem.peakAfterGc() / MB)
              .put("heap_before_run_mb", before / MB)
              .put("gc_count", mem.gcCount());
    }
    JsonObject cpuJson = cpu.stop();
    LOG.info(
        "verify: {} in {} ms: {}", job.state(), job.durationMs(), job.counts().toJson().encode());
    return new Measured(job, memory, cpuJson, nanos / 1e9);
  }

  /** Starts a run, retrying while the verifier does not know the cache yet. */
  private static String start(VerifyClient verify, boolean repair) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        return Pipeline.await(verify.start(ENTITY, repair), 30).id();
      } catch (java.util.concurrent.ExecutionException e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("verify start: " + e.getCause(), e.getCause());
        }
        Thread.sleep(200);
      }
    }
  }

  private static VerifyJob awaitFinished(VerifyClient verify, String id) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(60);
    while (System.nanoTime() < deadline) {
      VerifyJob j = Pipeline.await(verify.get(id), 30);
      if (!VerifyJob.RUNNING.equals(j.state())) {
        return j;
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("verification " + id + " did not finish in 60 minutes");
  }

  private static void expect(VerifyJob job, String what, boolean ok, JsonObject expected) {
    if (!VerifyJob.FINISHED.equals(job.state()) || !ok) {
      throw new IllegalStateException(
          "verify stage, "
              + what
              + ": counts do not match"
              + (expected == null ? "" : " (expected " + expected.encode() + ")")
              + ": "
              + job.toJson().put("sample_ids", job.sampleIds().size() + " ids").encode());
    }
  }

  /** Waits until the cache holds every oplog row of the entity (the repair's synthetic rows). */
  private static void waitCaughtUp(Connection pg, CacheProbe probe) throws Exception {
    long target = Pipeline.maxIds(pg, List.of(ENTITY)).get(0);
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (probe.lastOplogId() < target) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "cache did not reach oplog id " + target + " after the repair");
      }
      Thread.sleep(20);
    }
  }

  /**
   * The injected differences, by document index: every {@code n / total}-th document, in turn
   * deleted from the file, edited in the file, changed in the source; plus {@code extras} rows the
   * source never had, inserted into the file.
   */
  record Drift(List<Long> deleted, List<Long> edited, List<Long> source, int extras) {

    static Drift of(long n, double fraction) {
      int total = (int) Math.max(4, Math.round(n * fraction));
      int extras = Math.max(1, Math.min(10, total / 10));
      int docs = total - extras;
      long step = Math.max(1, n / docs);
      List<Long> deleted = new ArrayList<>();
      List<Long> edited = new ArrayList<>();
      List<Long> source = new ArrayList<>();
      for (int k = 0; k < docs; k++) {
        long i = k * step + step / 3;
        switch (k % 3) {
          case 0 -> deleted.add(i);
          case 1 -> edited.add(i);
          default -> source.add(i);
        }
      }
      return new Drift(deleted, edited, source, extras);
    }

    int total() {
      return deleted.size() + edited.size() + source.size() + extras;
    }

    /**
     * What a repair run must count: file damage is repaired in the file, the source's changes and
     * the extras through synthetic oplog rows.
     */
    JsonObject expectedCounts(long n) {
      long differ = deleted.size() + edited.size() + source.size();
      return new VerifyJob.Counts(
              n,
              n - differ,
              deleted.size(),
              extras,
              edited.size() + source.size(),
              source.size() + extras,
              deleted.size() + edited.size(),
              0,
              0)
          .toJson();
    }

    JsonObject toJson() {
      return new JsonObject()
          .put("total", total())
          .put("rows_deleted_in_file", deleted.size())
          .put("rows_edited_in_file", edited.size())
          .put("extra_rows_inserted_in_file", extras)
          .put("source_changed_without_change_event", source.size())
          .put(
              "how",
              "the SQLite file edited through its own JDBC connection while the node runs; source"
                  + " documents changed by findOneAndUpdate, which the test server records no"
                  + " change event for");
    }

    void inject(Path file, Vertx vertx, String mongoUrl, String collection) throws Exception {
      org.sqlite.SQLiteConfig cfg = new org.sqlite.SQLiteConfig();
      cfg.setBusyTimeout(30_000);
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file, cfg.toProperties())) {
        c.setAutoCommit(false);
        String t = "\"" + ENTITY + "\"";
        try (PreparedStatement del = c.prepareStatement("DELETE FROM " + t + " WHERE _doc_id = ?");
            PreparedStatement upd =
                c.prepareStatement("UPDATE " + t + " SET name = 'drift-edited' WHERE _doc_id = ?");
            PreparedStatement ins =
                c.prepareStatement(
                    "INSERT INTO "
                        + t
                        + " (_doc_id, id, name, _oplog_id) VALUES (?, ?, 'drift-extra', 1)")) {
          for (long i : deleted) {
            del.setString(1, Docs.docId(i));
            del.addBatch();
          }
          for (long i : edited) {
            upd.setString(1, Docs.docId(i));
            upd.addBatch();
          }
          for (int k = 0; k < extras; k++) {
            String id = "x-extra-" + k;
            ins.setString(1, id);
            ins.setString(2, id);
            ins.addBatch();
          }
          check(del.executeBatch(), deleted.size(), "deleted");
          check(upd.executeBatch(), edited.size(), "edited");
          check(ins.executeBatch(), extras, "inserted");
        }
        c.commit();
      }
      MongoClient client =
          MongoClient.create(vertx, new JsonObject().put("connection_string", mongoUrl));
      try {
        for (int from = 0; from < source.size(); from += 100) {
          List<Future<JsonObject>> batch = new ArrayList<>();
          for (long i : source.subList(from, Math.min(source.size(), from + 100))) {
            batch.add(
                client.findOneAndUpdate(
                    collection,
                    new JsonObject().put("_id", Docs.docId(i)),
                    new JsonObject()
                        .put("$set", new JsonObject().put("name", "drift-source-" + i))));
          }
          Pipeline.await(Future.all(batch), 120);
          for (Future<JsonObject> f : batch) {
            if (f.result() == null) {
              throw new IllegalStateException("findOneAndUpdate matched no document");
            }
          }
        }
      } finally {
        Pipeline.await(client.close(), 30);
      }
    }

    private static void check(int[] counts, int expected, String what) {
      int sum = 0;
      for (int x : counts) {
        sum += x;
      }
      if (sum != expected) {
        throw new IllegalStateException(
            "drift: " + sum + " rows " + what + " in the file, expected " + expected);
      }
    }
  }
}
