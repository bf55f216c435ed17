package io.emcachers.bench;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 1: the machine's raw limits the pipeline's stages are compared with — PostgreSQL COPY,
 * SQLite upsert and a MongoDB scan ({@link RawLimits}), each with its CPU use.
 */
final class RawLimitsStage {

  private static final Logger LOG = LoggerFactory.getLogger("emcachers.bench");

  /** The three limits, for the ratios of the later stages. */
  record Limits(RawLimits.Result copy, RawLimits.Result sqlite, RawLimits.Result scan) {}

  private RawLimitsStage() {}

  /** Measures the limits and records them as {@code stages.raw}. */
  static Limits run(BenchMain opts, BenchEnv env, JsonObject stages) throws Exception {
    MongoChild mongo = env.mongo();
    long rawRows = opts.rawRows;
    long snapshotDocs = opts.snapshotDocs;
    LOG.info("raw limits: PostgreSQL COPY of {} rows", rawRows);
    Pipeline.createDatabase(env.pg().jdbcUrl(), "bench_raw");
    long warm = Math.min(rawRows, 20_000);
    CpuMeter copyCpu = new CpuMeter(mongo.pid());
    RawLimits.Result copy = RawLimits.pgCopy(env.jdbc("bench_raw"), rawRows, warm, copyCpu);
    JsonObject copyCpuJson = copyCpu.kept();
    LOG.info("raw limits: SQLite upsert of {} rows", rawRows);
    CpuMeter sqliteCpu = new CpuMeter(mongo.pid()).start();
    RawLimits.Result sqlite =
        RawLimits.sqliteUpsert(
            env.work().resolve("raw-sqlite"), rawRows, warm, opts.sqliteSynchronous);
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
                            + opts.sqliteSynchronous
                            + ", one transaction"))
            .put(
                "mongo_scan",
                rate(scan, "docs")
                    .put("cpu", scanCpu.stop())
                    .put(
                        "what",
                        "one cursor over the source collection in _id order, batch 1000, over the wire")));
    return new Limits(copy, sqlite, scan);
  }

  private static JsonObject rate(RawLimits.Result r, String unit) {
    return new JsonObject()
        .put(unit, r.count())
        .put("seconds", BenchMain.round(r.seconds(), 3))
        .put(unit + "_per_s", Math.round(r.perSecond()));
  }
}
