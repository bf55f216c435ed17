package io.emcachers.bench;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The tables of the issue-15 stages (pipeline latency with the synthetic source, idle streams) and
 * the compact regression guard every run prints last: each stage's ratio to its raw limit (or its
 * latency) with the CPU other processes took meanwhile, so a regression shows in every CI log.
 */
final class MoreTables {

  private MoreTables() {}

  /** The latency and idle-streams tables; empty when neither stage ran. */
  static String markdown(JsonObject results) {
    JsonObject s = results.getJsonObject("stages");
    StringBuilder sb = new StringBuilder();
    JsonObject l = s.getJsonObject("pipeline_latency");
    if (l != null && l.containsKey("error")) {
      sb.append("pipeline latency FAILED: ").append(l.getString("error")).append("\n\n");
    } else if (l != null) {
      sb.append(
          "| pipeline latency (synthetic source) | changes | event → visible in SQLite (p50 / p95 / p99 / max ms) | event → oplog tx p50 / p99 | oplog tx → visible p50 / p99 | verdict | pipeline JVM cpu s | postgres cpu s | MongoDB JVM cpu s | other cpu s | machine busy |\n");
      sb.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
      List<JsonObject> steps = new ArrayList<>();
      l.getJsonArray("steps").forEach(o -> steps.add((JsonObject) o));
      l.getJsonArray("ramp").forEach(o -> steps.add(((JsonObject) o).put("ramp", true)));
      for (JsonObject st : steps) {
        JsonObject h = st.getJsonObject("hops", new JsonObject());
        JsonObject a = h.getJsonObject("source_write_to_oplog_tx_start");
        JsonObject b = h.getJsonObject("oplog_tx_start_to_visible");
        JsonObject c = st.getJsonObject("cpu");
        sb.append(
            String.format(
                Locale.ROOT,
                "| %s%,.0f/s for %.0f s | %,d | %.1f / %.1f / %.1f / %.1f | %s | %s | %s | %s |%n",
                st.getBoolean("ramp", false) ? "ramp " : "",
                st.getDouble("target_rate"),
                st.getDouble("seconds"),
                st.getLong("changes"),
                st.getDouble("p50_ms"),
                st.getDouble("p95_ms"),
                st.getDouble("p99_ms"),
                st.getDouble("max_ms"),
                pair(a),
                pair(b),
                st.getString("verdict"),
                cpu(c)));
      }
      sb.append(
          String.format(
              Locale.ROOT,
              "%nhighest rate sustained without growing lag (synthetic source): %,.0f events/s%s%n%n",
              l.getDouble("max_sustained_rate"),
              l.getBoolean("max_sustained_rate_bounded_by_ramp_limit")
                  ? " (ramp limit reached)"
                  : ""));
    }
    JsonObject idle = s.getJsonObject("idle_streams");
    if (idle != null && idle.containsKey("error")) {
      sb.append("idle streams FAILED: ").append(idle.getString("error")).append("\n");
    } else if (idle != null) {
      sb.append(
          "| idle streams | collections | streams | back-off | polls/s | pipeline JVM cpu s/s | MongoDB JVM cpu s/s | other cpu s | heap after GC MB | MongoDB RSS MB |\n");
      sb.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
      for (Object o : idle.getJsonArray("runs")) {
        JsonObject r = (JsonObject) o;
        sb.append(
            String.format(
                Locale.ROOT,
                "| %s scope | %d | %d | %s | %.1f | %.3f | %.3f | %.1f | %d | %d |%n",
                r.getString("scope"),
                r.getInteger("collections"),
                r.getInteger("streams"),
                r.getBoolean("back_off") ? "yes" : "no (stream_await_ms = idle_poll_ms)",
                r.getDouble("polls_per_s"),
                r.getDouble("pipeline_jvm_cpu_per_s"),
                r.getDouble("mongo_jvm_cpu_per_s"),
                r.getJsonObject("cpu").getDouble("other_cpu_s"),
                r.getLong("heap_used_after_gc_mb"),
                r.getLong("mongo_rss_mb")));
      }
    }
    return sb.toString().trim();
  }

  private static String pair(JsonObject p) {
    return p == null
        ? ""
        : String.format(Locale.ROOT, "%.1f / %.1f", p.getDouble("p50_ms"), p.getDouble("p99_ms"));
  }

  private static String cpu(JsonObject c) {
    return c == null
        ? " | | | | "
        : String.format(
            Locale.ROOT,
            "%.1f | %.1f | %.1f | %.1f | %.0f%%",
            c.getDouble("pipeline_jvm_cpu_s"),
            c.getDouble("postgres_cpu_s"),
            c.getDouble("mongo_jvm_cpu_s"),
            c.getDouble("other_cpu_s"),
            100 * c.getDouble("machine_busy"));
  }

  /**
   * One line per stage: its figure against its raw limit (or its latency), the target, and the CPU
   * other processes used during it.
   */
  static String guard(JsonObject results) {
    JsonObject s = results.getJsonObject("stages");
    List<String[]> rows = new ArrayList<>();
    ratio(rows, "ingest", s.getJsonObject("ingest"), "entries_per_s", "≥ 90% of COPY");
    ratio(rows, "apply", s.getJsonObject("apply"), "rows_per_s", "≥ 90% of SQLite upsert");
    ratio(rows, "snapshot", s.getJsonObject("snapshot"), "docs_per_s", "≥ 80% of slowest raw");
    JsonObject st = s.getJsonObject("streaming");
    if (st != null && !st.containsKey("error")) {
      rows.add(
          latencyRow(
              "streaming (test server)", st, st.getJsonObject("cpu"), "p99 ≤ 50 ms at 2,000/s"));
    }
    JsonObject l = s.getJsonObject("pipeline_latency");
    if (l != null && l.containsKey("steps")) {
      for (Object o : l.getJsonArray("steps")) {
        JsonObject step = (JsonObject) o;
        double rate = step.getDouble("target_rate");
        String target = rate == 2000 ? "p99 ≤ 25 ms" : rate == 5000 ? "p99 ≤ 50 ms" : "";
        rows.add(latencyRow("pipeline latency", step, step.getJsonObject("cpu"), target));
      }
      rows.add(
          new String[] {
            "pipeline latency",
            String.format(
                Locale.ROOT, "highest sustained %,.0f events/s", l.getDouble("max_sustained_rate")),
            "",
            "",
            ""
          });
    }
    JsonObject c = s.getJsonObject("compaction");
    if (c != null && c.containsKey("bootstrap")) {
      ratio(
          rows,
          "compaction bootstrap",
          c.getJsonObject("bootstrap"),
          "rows_per_s",
          "≥ 80% of SQLite upsert");
    }
    JsonObject v = s.getJsonObject("verify");
    if (v != null && v.containsKey("clean")) {
      ratio(rows, "verify, no drift", v.getJsonObject("clean"), "docs_per_s", "≥ 70% of raw scan");
    }
    JsonObject idle = s.getJsonObject("idle_streams");
    if (idle != null && idle.containsKey("runs")) {
      for (Object o : idle.getJsonArray("runs")) {
        JsonObject r = (JsonObject) o;
        rows.add(
            new String[] {
              "idle streams",
              String.format(
                  Locale.ROOT,
                  "%s scope, %d collections%s: %.1f polls/s, pipeline JVM %.3f cpu s/s",
                  r.getString("scope"),
                  r.getInteger("collections"),
                  r.getBoolean("back_off") ? "" : " (no back-off)",
                  r.getDouble("polls_per_s"),
                  r.getDouble("pipeline_jvm_cpu_per_s")),
              "",
              "not N × 20 polls/s",
              other(r.getJsonObject("cpu"))
            });
      }
    }
    GrowthTables.guard(s, rows);
    StringBuilder sb = new StringBuilder("regression guard (compare ratios within a run):\n");
    sb.append("| stage | measured | vs raw limit | target | other processes cpu s |\n");
    sb.append("| --- | --- | --- | --- | --- |\n");
    for (String[] r : rows) {
      sb.append("| ").append(String.join(" | ", r)).append(" |\n");
    }
    return sb.toString().trim();
  }

  private static void ratio(
      List<String[]> rows, String stage, JsonObject o, String rateKey, String target) {
    if (o == null) {
      return;
    }
    if (o.containsKey("error")) {
      rows.add(new String[] {stage, "FAILED", "", target, ""});
      return;
    }
    Object ratio = o.getValue("ratio_to_raw");
    rows.add(
        new String[] {
          stage,
          String.format(
              Locale.ROOT, "%,d %s", o.getLong(rateKey, 0L), rateKey.replace("_per_s", "/s")),
          ratio instanceof Number n
              ? String.format(Locale.ROOT, "%.0f%%", n.doubleValue() * 100)
              : "",
          target,
          other(o.getJsonObject("cpu"))
        });
  }

  private static String[] latencyRow(String stage, JsonObject step, JsonObject cpu, String target) {
    return new String[] {
      stage,
      String.format(
          Locale.ROOT,
          "%,.0f/s: p50 %.1f / p99 %.1f ms%s",
          step.getDouble("target_rate"),
          step.getDouble("p50_ms"),
          step.getDouble("p99_ms"),
          step.getBoolean("sustained") ? "" : " (" + step.getString("verdict") + ")"),
      "",
      target,
      other(cpu)
    };
  }

  private static String other(JsonObject cpu) {
    return cpu == null
        ? ""
        : String.format(
            Locale.ROOT,
            "%.1f of %.1f s wall",
            cpu.getDouble("other_cpu_s"),
            cpu.getDouble("wall_s"));
  }
}
