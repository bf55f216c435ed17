package io.emcachers.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;

/** The run's targets, judged from the stages' figures (the {@code targets} of results.json). */
final class Targets {

  private Targets() {}

  static JsonArray of(JsonObject stages) {
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
    latency(t, stages.getJsonObject("pipeline_latency"));
    compaction(t, stages.getJsonObject("compaction"));
    scale(t, stages.getJsonObject("scale"));
    JsonObject verify = stages.getJsonObject("verify");
    if (verify != null && verify.containsKey("raw_scan")) {
      long docs = verify.getLong("docs");
      String[][] runs = {{"clean", "no drift"}, {"drift", driftLabel(verify) + ", repair"}};
      for (String[] run : runs) {
        JsonObject r = verify.getJsonObject(run[0]);
        if (r == null) {
          continue;
        }
        double ratio = r.getDouble("ratio_to_raw");
        long heap = r.getLong("peak_heap_used_mb");
        boolean finished = "finished".equals(r.getString("state"));
        t.add(
            target(
                "verify (" + run[1] + ") >= 70% of raw scan docs/s",
                ratio >= 0.7 && finished,
                String.format(
                    Locale.ROOT,
                    "%s — %,d of %,d docs/s over %,d docs%s",
                    pct(ratio),
                    r.getLong("docs_per_s"),
                    r.getJsonObject("raw_scan_before", verify.getJsonObject("raw_scan"))
                        .getLong("docs_per_s"),
                    docs,
                    finished ? "" : " (run " + r.getString("state") + ")"),
                docs >= 1_000_000));
        t.add(
            target(
                "heap <= 256 MB during verify (" + run[1] + ")",
                heap <= 256,
                String.format(
                    Locale.ROOT,
                    "peak used %d MB (live after GC %s, before the run %d MB, max heap %d MB)",
                    heap,
                    r.getInteger("gc_count") == 0
                        ? "n/a: no GC"
                        : r.getLong("peak_heap_live_after_gc_mb") + " MB",
                    r.getLong("heap_before_run_mb"),
                    verify.getLong("max_heap_mb")),
                docs >= 1_000_000));
      }
    }
    return t;
  }

  /** The pipeline-latency targets (issue 15): p99 at 2,000 and 5,000 events/s, synthetic source. */
  private static void latency(JsonArray t, JsonObject l) {
    if (!ok(l)) {
      return;
    }
    double[][] limits = {{2000, 25}, {5000, 50}};
    for (double[] lim : limits) {
      JsonObject s = PipelineLatencyStage.step(l, lim[0]);
      if (s == null) {
        continue;
      }
      double p99 = s.getDouble("p99_ms");
      t.add(
          target(
              String.format(
                  Locale.ROOT, "pipeline latency p99 <= %.0f ms at %,.0f events/s", lim[1], lim[0]),
              p99 <= lim[1] && s.getBoolean("sustained"),
              String.format(
                  Locale.ROOT,
                  "p99 %.1f ms (p50 %.1f)%s",
                  p99,
                  s.getDouble("p50_ms"),
                  s.getBoolean("sustained") ? "" : "; " + s.getString("verdict")),
              l.getDouble("seconds") >= 10));
    }
  }

  /** The compaction stage's three targets (issue 12), at 100,000 documents x 20 updates. */
  private static void compaction(JsonArray t, JsonObject c) {
    if (!ok(c)) {
      return;
    }
    long docs = c.getLong("documents");
    boolean size = docs >= 100_000 && c.getInteger("updates_per_document") >= 20;
    long after = c.getLong("rows_after");
    long window = 0; // retain_history_ms = 0: no retention window
    t.add(
        target(
            "compaction: rows after <= 1.05 x documents (+ window)",
            after <= 1.05 * docs + window,
            String.format(Locale.ROOT, "%,d rows for %,d documents", after, docs),
            size));
    JsonObject boot = c.getJsonObject("bootstrap");
    double r = boot.getDouble("ratio_to_raw");
    t.add(
        target(
            "bootstrap from compacted oplog >= 80% of raw SQLite upsert",
            r >= 0.8, pct(r) + " of SQLite upsert", size));
    double during = c.getDouble("append_p99_during_ms");
    double alone = c.getDouble("append_p99_alone_ms");
    t.add(
        target(
            "append p99 during compaction <= 2 x p99 without",
            during <= 2 * alone && c.getLong("append_refused_during", 0L) == 0,
            String.format(Locale.ROOT, "p99 %.1f ms during vs %.1f ms without", during, alone)
                + (c.getLong("append_refused_during", 0L) == 0
                    ? ""
                    : "; " + c.getLong("append_refused_during") + " appends refused (queue full)"),
            size));
  }

  /** The scale stage's three targets (issue 13). */
  private static void scale(JsonArray t, JsonObject s) {
    if (s == null) {
      return;
    }
    boolean full = s.getBoolean("full_size", false);
    JsonObject apply = s.getJsonObject("apply");
    if (ok(apply)) {
      double r = apply.getDouble("ratio_cpu_normalised");
      t.add(
          target(
              "scale: per-node apply rate at "
                  + apply.getJsonObject("many_nodes").getInteger("nodes")
                  + " nodes >= 80% of one node's, normalised by CPU",
              r >= 0.8,
              String.format(
                  Locale.ROOT,
                  "%s (min %s; not normalised %s)",
                  pct(r),
                  pct(apply.getDouble("min_ratio_cpu_normalised")),
                  pct(apply.getDouble("ratio_per_node_rate"))),
              full));
    }
    JsonObject f = s.getJsonObject("failover");
    if (ok(f)) {
      String[][] runs = {{"sigkill", "SIGKILL", "3"}, {"sigstop", "SIGSTOP", "10"}};
      for (String[] run : runs) {
        JsonObject r = f.getJsonObject(run[0]);
        long ms = r.getLong("takeover_ms");
        long limit = Long.parseLong(run[2]) * 1000;
        boolean stop = run[0].equals("sigstop");
        boolean again = stop && r.getBoolean("resumed_led_again", false);
        t.add(
            target(
                "failover after " + run[1] + " of the leader <= " + run[2] + " s",
                ms <= limit && !again,
                String.format(
                    Locale.ROOT,
                    "%,d ms (new leader's first oplog row after %,d ms)%s",
                    ms,
                    r.getLong("writes_resumed_ms"),
                    stop
                        ? (again ? "; the resumed node LED AGAIN" : "; resumed node: standby")
                        : ""),
                full));
      }
    }
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

  /** "1% drift" from the stage's {@code drift_fraction}. */
  static String driftLabel(JsonObject verify) {
    double pct = verify.getDouble("drift_fraction", 0.01) * 100;
    return (pct == Math.rint(pct)
            ? String.format(Locale.ROOT, "%.0f", pct)
            : String.format(Locale.ROOT, "%s", pct))
        + "% drift";
  }

  private static String pct(double r) {
    return String.format(Locale.ROOT, "%.0f%%", r * 100);
  }
}
