package io.emcachers.bench;

import io.emcachers.launcher.Node;
import io.emcachers.listener.ListenerVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt64;
import org.bson.BsonString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Our own streaming latency, without the MongoDB test server: a {@link SyntheticChangeSource} in
 * place of the change-stream cursor feeds the real listener (its batching and append window), the
 * real oplog verticle, a real replicator and cache-db. Latency = first moment the read-only SQLite
 * probe sees a change minus the moment its event was created (the {@link StreamingStage} poller,
 * unchanged). Runs each of {@code --latency-rates} for {@code --latency-seconds}, then ramps up
 * from the last rate by {@code --ramp-factor} until the lag grows. The source collection is only
 * read once, by the entity's initial scan ({@link Docs#SYNTHETIC_COLLECTION} in the test server).
 */
final class PipelineLatencyStage {

  private static final Logger LOG = LoggerFactory.getLogger("emcachers.bench");

  private PipelineLatencyStage() {}

  /** Update events with the stream entity's fields, emitted into {@code source}. */
  static StreamingStage.ChangeWriter syntheticWriter(SyntheticChangeSource source) {
    Vertx v = Vertx.vertx();
    return new StreamingStage.ChangeWriter() {
      @Override
      public Vertx vertx() {
        return v;
      }

      @Override
      public Future<?> write(int k, long seq, double score) {
        source.emit(
            new BsonDocument("_id", new BsonString(Docs.streamDocId(k)))
                .append("seq", new BsonInt64(seq))
                .append("name", new BsonString("s" + k))
                .append("score", new BsonDouble(score)));
        return Future.succeededFuture();
      }

      @Override
      public void close() {
        v.close();
      }
    };
  }

  static void run(BenchMain opts, BenchEnv env, JsonObject stages) throws Exception {
    String db = "bench_latency";
    Pipeline.createDatabase(env.pg().jdbcUrl(), db);
    Path dataDir = env.work().resolve("latency-node");
    JsonObject cfg =
        Pipeline.config(
            env.overrides(), env.pgUrl(db), env.mongo().url("app"), dataDir, "oplog", "replicator");
    SyntheticChangeSource source = new SyntheticChangeSource("app", Docs.SYNTHETIC_COLLECTION);
    Vertx vertx = Pipeline.vertx(cfg);
    Node node = null;
    String listener = null;
    StreamingStage stage = null;
    String entity = "bench_latency";
    try (Connection pgc = DriverManager.getConnection(env.jdbc(db))) {
      node = Pipeline.deploy(vertx, cfg);
      listener =
          Pipeline.await(
              vertx.deployVerticle(
                  new ListenerVerticle(Clock.systemUTC(), mongo -> source),
                  new DeploymentOptions().setConfig(cfg)),
              60);
      Pipeline.createEntity(vertx, Docs.streamEntityDefinition(entity, Docs.SYNTHETIC_COLLECTION));
      try (CacheProbe probe = new CacheProbe(dataDir, entity)) {
        PipelineStages.waitVisible(
            pgc, probe, entity, opts.streamDocs, TimeUnit.MINUTES.toNanos(2));
      }
      stage =
          new StreamingStage(
              syntheticWriter(source), opts.streamDocs, dataDir, entity, env.jdbc(db));
      // a warm JIT: when the stage runs alone the listener's, oplog's and replicator's code is cold
      double warmUp = opts.quick ? 2.0 : 10.0;
      LOG.info("pipeline latency (synthetic source): warm-up, {} s", warmUp);
      stage.run(opts.latencyRates.get(0), warmUp, 5000, opts.lagGrowthMs);
      JsonArray steps = new JsonArray();
      double best = 0;
      boolean allSustained = true;
      for (double rate : opts.latencyRates) {
        LOG.info("pipeline latency: {} events/s for {} s", rate, opts.latencySeconds);
        CpuMeter cpu = new CpuMeter(env.mongo().pid()).start();
        StreamingStep s = stage.run(rate, opts.latencySeconds, 5000, opts.lagGrowthMs);
        steps.add(s.toJson().put("cpu", cpu.stop()));
        if (s.sustained()) {
          best = Math.max(best, rate);
        } else {
          allSustained = false;
        }
      }
      JsonArray ramp = new JsonArray();
      boolean lastSustained = false;
      if (allSustained) {
        double r = opts.latencyRates.get(opts.latencyRates.size() - 1) * opts.rampFactor;
        for (int i = 0; i < opts.rampMaxSteps && r <= opts.rampMaxRate; i++, r *= opts.rampFactor) {
          LOG.info(
              "pipeline latency ramp: {} events/s for {} s", Math.round(r), opts.rampStepSeconds);
          CpuMeter cpu = new CpuMeter(env.mongo().pid()).start();
          StreamingStep s = stage.run(Math.round(r), opts.rampStepSeconds, 5000, opts.lagGrowthMs);
          ramp.add(s.toJson().put("cpu", cpu.stop()));
          lastSustained = s.sustained();
          if (!s.sustained()) {
            break;
          }
          best = s.targetRate();
        }
      }
      stages.put(
          "pipeline_latency",
          new JsonObject()
              .put(
                  "source",
                  "synthetic change source in the benchmark JVM in place of the MongoDB cursor (update events with full documents, answered like a server that awaits data); real listener batching, OplogVerticle, replicator, cache-db")
              .put(
                  "visibility",
                  "latency = first poll of a read-only SQLite connection (every ~1 ms) that shows the change − the moment its event was created")
              .put("docs", opts.streamDocs)
              .put("seconds", opts.latencySeconds)
              .put("steps", steps)
              .put("ramp", ramp)
              .put("max_sustained_rate", best)
              .put("max_sustained_rate_bounded_by_ramp_limit", lastSustained)
              .put("events_emitted", source.emitted()));
    } finally {
      if (stage != null) {
        stage.close();
      }
      Pipeline.shutdown(vertx, listener, node);
    }
  }

  /** The step at {@code rate} of the stage, or null. */
  static JsonObject step(JsonObject stage, double rate) {
    if (stage == null || !stage.containsKey("steps")) {
      return null;
    }
    for (Object o : stage.getJsonArray("steps")) {
      JsonObject s = (JsonObject) o;
      if (s.getDouble("target_rate") == rate) {
        return s;
      }
    }
    return null;
  }

  static final List<Double> DEFAULT_RATES = List.of(2000.0, 5000.0);
}
