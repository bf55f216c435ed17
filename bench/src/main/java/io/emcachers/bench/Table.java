package io.emcachers.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The human-readable summary of a run (also the Markdown table of the README's Performance
 * section).
 */
final class Table {

  private Table() {}

  static void print(JsonObject results) {
    System.out.println();
    System.out.println(header(results));
    System.out.println();
    System.out.println(markdown(results));
    System.out.println();
    System.out.println(cpuMarkdown(results));
    String more = MoreTables.markdown(results);
    if (!more.isEmpty()) {
      System.out.println();
      System.out.println(more);
    }
    String growth = GrowthTables.markdown(results);
    if (!growth.isEmpty()) {
      System.out.println();
      System.out.println(growth);
    }
    String scale = scaleMarkdown(results);
    if (!scale.isEmpty()) {
      System.out.println();
      System.out.println(scale);
    }
    JsonArray targets = results.getJsonArray("targets");
    System.out.println();
    for (int i = 0; i < targets.size(); i++) {
      JsonObject t = targets.getJsonObject(i);
      String verdict =
          !t.getBoolean("at_target_size")
              ? "not at target size"
              : t.getBoolean("met") ? "MET" : "MISSED";
      System.out.printf(
          Locale.ROOT,
          "  target %-48s %-13s %s%n",
          t.getString("target"),
          verdict,
          t.getString("measured"));
    }
    System.out.println();
    System.out.println(MoreTables.guard(results));
    System.out.println();
  }

  static String header(JsonObject r) {
    JsonObject m = r.getJsonObject("machine");
    return String.format(
        Locale.ROOT,
        "emcachers benchmark (%s), %s: %d cores, %.0f GiB, %s, %s, %s; total %.0f s",
        r.getString("mode"),
        r.getString("date").substring(0, 10),
        m.getInteger("cores"),
        m.getDouble("memory_gib"),
        m.getString("cpu"),
        m.getString("jdk"),
        m.getString("os"),
        r.getDouble("total_seconds"));
  }

  static String markdown(JsonObject r) {
    JsonObject s = r.getJsonObject("stages");
    List<String[]> rows = new ArrayList<>();
    JsonObject raw = s.getJsonObject("raw");
    rows.add(
        new String[] {
          "raw",
          "PostgreSQL COPY, oplog-shaped rows",
          n(raw.getJsonObject("pg_copy").getLong("rows_per_s")) + " rows/s",
          n(raw.getJsonObject("pg_copy").getLong("rows")) + " rows",
          "",
          ""
        });
    rows.add(
        new String[] {
          "raw",
          "SQLite upsert, cache layout, 1 tx",
          n(raw.getJsonObject("sqlite_upsert").getLong("rows_per_s")) + " rows/s",
          n(raw.getJsonObject("sqlite_upsert").getLong("rows")) + " rows",
          "",
          ""
        });
    rows.add(
        new String[] {
          "raw",
          "MongoDB source scan (test server)",
          n(raw.getJsonObject("mongo_scan").getLong("docs_per_s")) + " docs/s",
          n(raw.getJsonObject("mongo_scan").getLong("docs")) + " docs",
          "",
          ""
        });
    JsonObject ingest = s.getJsonObject("ingest");
    if (!failed(rows, "ingest", ingest)) {
      rows.add(
          new String[] {
            "ingest",
            "oplog append (OplogVerticle)",
            n(ingest.getLong("entries_per_s")) + " entries/s",
            n(ingest.getLong("entries"))
                + " entries, batch "
                + ingest.getInteger("batch")
                + ", window "
                + ingest.getInteger("window"),
            pct(ingest.getDouble("ratio_to_raw")) + " of COPY",
            "≥ 60%"
          });
    }
    JsonObject apply = s.getJsonObject("apply");
    if (!failed(rows, "apply", apply)) {
      rows.add(
          new String[] {
            "apply",
            "replicator → SQLite caches",
            n(apply.getLong("rows_per_s")) + " rows/s",
            n(apply.getLong("rows")) + " rows, " + apply.getInteger("caches") + " cache(s)",
            pct(apply.getDouble("ratio_to_raw")) + " of SQLite",
            "≥ 50%"
          });
    }
    JsonObject snap = s.getJsonObject("snapshot");
    if (!failed(rows, "snapshot", snap)) {
      rows.add(
          new String[] {
            "snapshot",
            "MongoDB → SQLite, end to end",
            n(snap.getLong("docs_per_s")) + " docs/s",
            n(snap.getLong("docs")) + " docs in " + snap.getDouble("seconds") + " s",
            pct(snap.getDouble("ratio_to_raw")) + " of slowest raw",
            "≥ 100,000 docs/s"
          });
      rows.add(
          new String[] {
            "snapshot",
            "pipeline heap: peak used / live after GC",
            snap.getLong("peak_heap_used_mb")
                + " MB / "
                + snap.getLong("peak_heap_live_after_gc_mb")
                + " MB",
            "max heap " + snap.getLong("max_heap_mb") + " MB",
            "",
            "≤ 512 MB"
          });
      rows.add(
          new String[] {
            "snapshot",
            "pipeline JVM peak RSS (VmHWM)",
            snap.getLong("rss_peak_mb") + " MB",
            "",
            "",
            ""
          });
    }
    JsonObject st = s.getJsonObject("streaming");
    if (!failed(rows, "streaming", st)) {
      rows.add(
          new String[] {
            "streaming",
            "source write → visible in SQLite",
            String.format(
                Locale.ROOT,
                "p50 %.1f / p95 %.1f / p99 %.1f / max %.1f ms",
                st.getDouble("p50_ms"),
                st.getDouble("p95_ms"),
                st.getDouble("p99_ms"),
                st.getDouble("max_ms")),
            String.format(
                Locale.ROOT,
                "%.0f changes/s for %.0f s",
                st.getDouble("target_rate"),
                st.getDouble("seconds")),
            "",
            "p99 ≤ 50 ms at 2,000/s"
          });
      JsonObject hops = st.getJsonObject("hops");
      if (hops != null && hops.containsKey("source_write_to_oplog_tx_start")) {
        JsonObject a = hops.getJsonObject("source_write_to_oplog_tx_start");
        JsonObject b = hops.getJsonObject("oplog_tx_start_to_visible");
        rows.add(
            new String[] {
              "streaming",
              "… split at the oplog transaction",
              String.format(
                  Locale.ROOT,
                  "source → oplog tx: p50 %.1f / p99 %.1f ms; oplog tx → visible: p50 %.1f / p99 %.1f ms",
                  a.getDouble("p50_ms"),
                  a.getDouble("p99_ms"),
                  b.getDouble("p50_ms"),
                  b.getDouble("p99_ms")),
              n(hops.getLong("matched_changes")) + " changes matched to their oplog row",
              "",
              ""
            });
      }
      JsonArray ramp = st.getJsonArray("ramp");
      StringBuilder steps = new StringBuilder();
      for (int i = 0; i < ramp.size(); i++) {
        JsonObject step = ramp.getJsonObject(i);
        steps
            .append(i == 0 ? "" : "; ")
            .append(
                String.format(
                    Locale.ROOT,
                    "%.0f/s: p99 %.1f ms%s",
                    step.getDouble("target_rate"),
                    step.getDouble("p99_ms"),
                    step.getBoolean("sustained") ? "" : " (" + step.getString("verdict") + ")"));
      }
      rows.add(
          new String[] {
            "streaming",
            "highest rate sustained without growing lag",
            n(Math.round(st.getDouble("max_sustained_rate"))) + " changes/s",
            steps.toString(),
            "",
            ""
          });
    }
    compactionRows(rows, s.getJsonObject("compaction"));
    JsonObject v = s.getJsonObject("verify");
    if (v != null && v.containsKey("error")) {
      failed(rows, "verify", v);
    }
    if (v == null) {
      rows.add(new String[] {"verify", "not run", "", "", "", ""});
    } else if (v.containsKey("raw_scan")) {
      JsonObject scan = v.getJsonObject("raw_scan");
      rows.add(
          new String[] {
            "verify",
            "raw scan, the verifier's paged cursor",
            n(scan.getLong("docs_per_s")) + " docs/s",
            n(scan.getLong("docs")) + " docs, pages of " + v.getInteger("page_docs"),
            "",
            ""
          });
      String[][] runs = {
        {"clean", "verification, no drift (repair false)"},
        {"drift", "verification, " + Targets.driftLabel(v) + " (repair true)"},
        {"check_after_repair", "verification after the repair"}
      };
      for (String[] run : runs) {
        JsonObject vr = v.getJsonObject(run[0]);
        if (vr == null) {
          continue;
        }
        JsonObject c = vr.getJsonObject("counts");
        String counts =
            run[0].equals("drift")
                ? String.format(
                    Locale.ROOT,
                    "; found %,d missing / %,d different / %,d extra, repaired %,d local + %,d oplog (%s)",
                    c.getLong("missing"),
                    c.getLong("different"),
                    c.getLong("extra"),
                    c.getLong("repaired_local"),
                    c.getLong("repaired_oplog"),
                    vr.getBoolean("counts_match_injected", false)
                        ? "= injected"
                        : "run " + vr.getString("state") + ", NOT the injected drift")
                : "";
        rows.add(
            new String[] {
              "verify",
              run[1],
              n(vr.getLong("docs_per_s"))
                  + " docs/s; heap peak "
                  + vr.getLong("peak_heap_used_mb")
                  + " MB / live "
                  + (vr.getInteger("gc_count") == 0
                      ? "n/a (no GC)"
                      : vr.getLong("peak_heap_live_after_gc_mb") + " MB"),
              n(c.getLong("docs_checked"))
                  + " docs in "
                  + vr.getLong("duration_ms") / 1000.0
                  + " s"
                  + counts,
              pct(vr.getDouble("ratio_to_raw")) + " of raw scan",
              run[0].equals("check_after_repair") ? "" : "≥ 70%, heap ≤ 256 MB"
            });
      }
    }

    StringBuilder sb = new StringBuilder();
    sb.append("| stage | figure | measured | parameters | vs raw limit | target |\n");
    sb.append("| --- | --- | --- | --- | --- | --- |\n");
    for (String[] row : rows) {
      sb.append("| ").append(String.join(" | ", row)).append(" |\n");
    }
    return sb.toString().trim();
  }

  /** Where the CPU went in each stage: seconds per process group against the wall time. */
  static String cpuMarkdown(JsonObject r) {
    JsonObject s = r.getJsonObject("stages");
    StringBuilder sb = new StringBuilder();
    sb.append(
        "| stage | wall s | pipeline JVM cpu s | postgres cpu s | MongoDB JVM cpu s | other processes cpu s | machine busy |\n");
    sb.append("| --- | --- | --- | --- | --- | --- | --- |\n");
    String[][] stages = {
      {"raw COPY", "raw", "pg_copy"},
      {"raw SQLite", "raw", "sqlite_upsert"},
      {"raw Mongo scan", "raw", "mongo_scan"},
      {"ingest", "ingest", null},
      {"apply", "apply", null},
      {"snapshot", "snapshot", null},
      {"streaming", "streaming", null},
      {"verify raw scan", "verify", "raw_scan"},
      {"verify, no drift", "verify", "clean"},
      {"verify, drift", "verify", "drift"},
      {"compaction", "compaction", null}
    };
    for (String[] st : stages) {
      JsonObject o = s.getJsonObject(st[1]);
      if (o != null && st[2] != null) {
        o = o.getJsonObject(st[2]);
      }
      JsonObject c = o == null ? null : o.getJsonObject("cpu");
      if (c == null) {
        continue;
      }
      sb.append(
          String.format(
              Locale.ROOT,
              "| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.0f%% |%n",
              st[0],
              c.getDouble("wall_s"),
              c.getDouble("pipeline_jvm_cpu_s"),
              c.getDouble("postgres_cpu_s"),
              c.getDouble("mongo_jvm_cpu_s"),
              c.getDouble("other_cpu_s"),
              100 * c.getDouble("machine_busy")));
    }
    return sb.toString().trim();
  }

  /**
   * The scale stage: per-node apply with one and with N replicator JVMs (each node's CPU, the
   * shared processes' CPU, the ratio), then the failover times; empty when the stage did not run.
   */
  static String scaleMarkdown(JsonObject r) {
    JsonObject s = r.getJsonObject("stages").getJsonObject("scale");
    if (s == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    if (s.containsKey("error") && s.size() == 1) {
      return "scale: FAILED " + s.getString("error");
    }
    JsonObject apply = s.getJsonObject("apply");
    if (apply != null && apply.containsKey("error")) {
      sb.append("scale apply: FAILED ").append(apply.getString("error")).append("\n\n");
    } else if (apply != null) {
      sb.append(
          "| replicator nodes | node | rows/s | node JVM cpu s | cores used | rows per cpu s | vs 1 node, by CPU | leader JVM cpu s | postgres cpu s | other cpu s | machine busy |\n");
      sb.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
      for (String run : List.of("one_node", "many_nodes")) {
        JsonObject m = apply.getJsonObject(run);
        JsonArray nodes = m.getJsonArray("per_node");
        JsonObject c = m.getJsonObject("cpu");
        for (int i = 0; i < nodes.size(); i++) {
          JsonObject n = nodes.getJsonObject(i);
          sb.append(
              String.format(
                  Locale.ROOT,
                  "| %s | %s | %s | %.1f | %.2f | %s | %s | %s | %s | %s | %s |%n",
                  i == 0 ? m.getInteger("nodes") + " (" + n(m.getLong("rows")) + " rows)" : "",
                  n.getString("node"),
                  n(n.getLong("rows_per_s")),
                  n.getDouble("cpu_s"),
                  n.getDouble("cores"),
                  n(n.getLong("rows_per_cpu_s")),
                  n.containsKey("normalised_ratio") ? pct(n.getDouble("normalised_ratio")) : "",
                  i == 0 ? String.format(Locale.ROOT, "%.1f", c.getDouble("leader_jvm_cpu_s")) : "",
                  i == 0 ? String.format(Locale.ROOT, "%.1f", c.getDouble("postgres_cpu_s")) : "",
                  i == 0 ? String.format(Locale.ROOT, "%.1f", c.getDouble("other_cpu_s")) : "",
                  i == 0 ? pct(c.getDouble("machine_busy")) : ""));
        }
      }
      sb.append(
          String.format(
              Locale.ROOT,
              "%nper-node apply rate at %d nodes: %s of one node's by CPU (mean; min %s), %s not normalised%n%n",
              apply.getJsonObject("many_nodes").getInteger("nodes"),
              pct(apply.getDouble("ratio_cpu_normalised")),
              pct(apply.getDouble("min_ratio_cpu_normalised")),
              pct(apply.getDouble("ratio_per_node_rate"))));
    }
    JsonObject f = s.getJsonObject("failover");
    if (f != null && f.containsKey("error")) {
      sb.append("scale failover: FAILED ").append(f.getString("error")).append("\n");
    } else if (f != null) {
      sb.append(
          "| failover | standby reports leader | lease claimed | new leader's first oplog row | lease age at the signal | target |\n");
      sb.append("| --- | --- | --- | --- | --- | --- |\n");
      for (String[] run : new String[][] {{"sigkill", "≤ 3 s"}, {"sigstop", "≤ 10 s"}}) {
        JsonObject o = f.getJsonObject(run[0]);
        sb.append(
            String.format(
                Locale.ROOT,
                "| %s of the leader | %,d ms | %s ms | %,d ms | %,d ms | %s |%n",
                o.getString("signal"),
                o.getLong("takeover_ms"),
                o.getValue("lease_claimed_ms"),
                o.getLong("writes_resumed_ms"),
                o.getLong("lease_age_at_signal_ms"),
                run[1]));
      }
      JsonObject stop = f.getJsonObject("sigstop");
      sb.append(
          String.format(
              Locale.ROOT,
              "%nafter SIGCONT the frozen node reported standby in %,d ms; led again: %s. Lease %s; %d source changes/s%n",
              stop.getLong("resumed_to_standby_ms"),
              stop.getBoolean("resumed_led_again") ? "YES" : "no",
              s.getJsonObject("lease").encode(),
              f.getInteger("write_rate")));
    }
    sb.append(
        String.format(
            Locale.ROOT,
            "load average before / after the scale stage: %s / %s",
            s.getJsonArray("load_average_before").encode(),
            s.getJsonArray("load_average_after").encode()));
    return sb.toString().trim();
  }

  /** The compaction stage's rows (absent when it was skipped). */
  private static void compactionRows(List<String[]> rows, JsonObject c) {
    if (c == null || failed(rows, "compaction", c)) {
      return;
    }
    String size =
        n(c.getLong("documents")) + " docs × " + c.getInteger("updates_per_document") + " updates";
    JsonObject b0 = c.getJsonObject("bytes_before");
    JsonObject b1 = c.getJsonObject("bytes_after");
    rows.add(
        new String[] {
          "compaction",
          "oplog rows before → after",
          n(c.getLong("rows_before")) + " → " + n(c.getLong("rows_after")),
          size + ", retain_history_ms 0",
          "",
          "≤ 1.05 × docs"
        });
    rows.add(
        new String[] {
          "compaction",
          "table / index / total bytes before → after (run + VACUUM)",
          mb(b0.getLong("table"))
              + " / "
              + mb(b0.getLong("index"))
              + " / "
              + mb(b0.getLong("total"))
              + " → "
              + mb(b1.getLong("table"))
              + " / "
              + mb(b1.getLong("index"))
              + " / "
              + mb(b1.getLong("total"))
              + " MB",
          "",
          "",
          ""
        });
    rows.add(
        new String[] {
          "compaction",
          "compaction run (emc.oplog.compact)",
          n(c.getLong("removed_per_s")) + " rows removed/s",
          n(c.getLong("removed"))
              + " rows in "
              + c.getDouble("seconds")
              + " s, chunk_rows "
              + c.getValue("chunk_rows"),
          "",
          ""
        });
    JsonObject a = c.getJsonObject("appends");
    rows.add(
        new String[] {
          "compaction",
          "stream append p99: during compaction / alone",
          String.format(
              Locale.ROOT,
              "%.1f / %.1f ms",
              c.getDouble("append_p99_during_ms"),
              c.getDouble("append_p99_alone_ms")),
          a.getInteger("batch")
              + "-entry batches every "
              + a.getLong("period_ms")
              + " ms; "
              + a.getJsonObject("during_compaction").getInteger("count")
              + " / "
              + a.getJsonObject("alone").getInteger("count")
              + " batches"
              + (c.getLong("append_refused_during", 0L) == 0
                  ? ""
                  : "; " + c.getLong("append_refused_during") + " refused (writer queue full)"),
          "",
          "≤ 2 ×"
        });
    JsonObject boot = c.getJsonObject("bootstrap");
    rows.add(
        new String[] {
          "compaction",
          "fresh-node bootstrap from the compacted oplog",
          n(boot.getLong("rows_per_s")) + " rows/s",
          n(boot.getLong("oplog_rows_applied", boot.getLong("rows")))
              + " oplog rows applied into "
              + boot.getInteger("caches")
              + " cache(s) ("
              + n(boot.getLong("rows"))
              + " rows)",
          pct(boot.getDouble("ratio_to_raw")) + " of SQLite",
          "≥ 80%"
        });
  }

  private static String mb(long bytes) {
    return String.format(Locale.ROOT, "%.1f", bytes / 1e6);
  }

  private static boolean failed(List<String[]> rows, String stage, JsonObject o) {
    if (o == null || o.containsKey("error")) {
      rows.add(
          o == null
              ? new String[] {stage, "not run", "", "", "", ""}
              : new String[] {stage, "FAILED", o.getString("error").replace('|', '/'), "", "", ""});
      return true;
    }
    return false;
  }

  private static String n(long v) {
    return String.format(Locale.ROOT, "%,d", v);
  }

  private static String pct(double r) {
    return String.format(Locale.ROOT, "%.0f%%", r * 100);
  }
}
