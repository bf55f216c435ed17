package io.emcachers.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the packaged benchmark jar in quick mode, as a user would, so the benchmark cannot rot:
 * every stage must produce positive figures and the chart must be written; the scale stage's node
 * JVMs run the app jar the launcher module packaged. Speed itself is not asserted (CONTRIBUTING:
 * speed is measured in the benchmark, not asserted in tests).
 */
class BenchQuickIT {

  /** The whole quick run (about 140 s with the scale stage on a loaded 2-core machine). */
  static final long TIMEOUT_S = 300;

  @TempDir Path tmp;

  @Test
  void quickRunWritesEveryStageAndTheChart() throws Exception {
    String jar = System.getProperty("bench.jar", "target/emcachers-bench.jar");
    assertTrue(new File(jar).isFile(), "the shaded jar is built in package: " + jar);
    Path out = tmp.resolve("out");
    Path log = tmp.resolve("bench.log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command =
        new java.util.ArrayList<>(
            List.of(
                java,
                "-Xmx1g",
                "-XX:+UseParallelGC",
                "-jar",
                jar,
                "--quick",
                "--out",
                out.toString(),
                "--work-dir",
                tmp.resolve("work").toString()));
    // the scale stage (seven app JVMs, 60-90 s more) only with -Dbench.quick.scale=true
    boolean scale = Boolean.getBoolean("bench.quick.scale");
    if (scale) {
      command.add("--quick-scale");
      String appJar = System.getProperty("app.jar");
      if (appJar != null && new File(appJar).isFile()) {
        command.addAll(List.of("--app-jar", appJar)); // the scale stage's node JVMs
      }
    }
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean exited = p.waitFor(TIMEOUT_S, TimeUnit.SECONDS);
    if (!exited) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    String output = Files.readString(log);
    System.out.println(output);
    assertTrue(exited, "quick bench did not finish in " + TIMEOUT_S + " s:\n" + output);
    assertEquals(0, p.exitValue(), "bench exit code:\n" + output);

    JsonObject results = new JsonObject(Files.readString(out.resolve("results.json")));
    JsonObject stages = results.getJsonObject("stages");
    JsonObject raw = stages.getJsonObject("raw");
    positive(raw.getJsonObject("pg_copy"), "rows_per_s");
    positive(raw.getJsonObject("sqlite_upsert"), "rows_per_s");
    positive(raw.getJsonObject("mongo_scan"), "docs_per_s");
    positive(stages.getJsonObject("ingest"), "entries_per_s");
    positive(stages.getJsonObject("ingest"), "ratio_to_raw");
    positive(stages.getJsonObject("apply"), "rows_per_s");
    positive(stages.getJsonObject("apply"), "ratio_to_raw");
    positive(stages.getJsonObject("snapshot"), "docs_per_s");
    positive(stages.getJsonObject("snapshot"), "ratio_to_raw");
    positive(stages.getJsonObject("snapshot"), "peak_heap_used_mb");
    positive(stages.getJsonObject("snapshot"), "rss_peak_mb");
    JsonObject streaming = stages.getJsonObject("streaming");
    positive(streaming, "p50_ms");
    positive(streaming, "p95_ms");
    positive(streaming, "p99_ms");
    positive(streaming, "max_ms");
    positive(streaming, "achieved_rate");
    assertEquals(
        streaming.getLong("changes"),
        streaming.getLong("visible"),
        "every streamed change became visible");
    JsonObject latency = stages.getJsonObject("pipeline_latency");
    assertTrue(latency != null && !latency.containsKey("error"), "pipeline latency: " + latency);
    for (Object o : latency.getJsonArray("steps")) {
      JsonObject step = (JsonObject) o;
      positive(step, "p99_ms");
      assertEquals(
          step.getLong("changes"),
          step.getLong("visible"),
          "every synthetic change became visible");
    }
    JsonObject idle = stages.getJsonObject("idle_streams");
    assertTrue(idle != null && !idle.containsKey("error"), "idle streams: " + idle);
    for (Object o : idle.getJsonArray("runs")) {
      JsonObject run = (JsonObject) o;
      positive(run, "polls");
      positive(run, "streams");
    }
    assertTrue(output.contains("regression guard"), "the quick run prints the regression guard");
    JsonObject verify = stages.getJsonObject("verify");
    positive(verify.getJsonObject("raw_scan"), "docs_per_s");
    for (String run : List.of("clean", "drift", "check_after_repair")) {
      positive(verify.getJsonObject(run), "docs_per_s");
      positive(verify.getJsonObject(run), "ratio_to_raw");
      positive(verify.getJsonObject(run), "peak_heap_used_mb");
    }
    assertEquals(
        verify.getJsonObject("drift").getJsonObject("expected_counts"),
        verify.getJsonObject("drift").getJsonObject("counts"),
        "the repair run counts exactly the injected drift");
    JsonObject compaction = stages.getJsonObject("compaction");
    positive(compaction, "rows_before");
    positive(compaction, "rows_after");
    positive(compaction, "removed_per_s");
    positive(compaction, "append_p99_alone_ms");
    positive(compaction, "append_p99_during_ms");
    positive(compaction.getJsonObject("bootstrap"), "rows_per_s");
    positive(compaction.getJsonObject("bootstrap"), "ratio_to_raw");
    assertEquals(
        compaction.getLong("documents"),
        compaction.getLong("rows_after"),
        "after compaction one row per document remains");
    assertEquals(true, compaction.getBoolean("compacted_state_checked"));
    growthFigures(stages.getJsonObject("growth"), out);
    if (scale) {
      scaleFigures(stages.getJsonObject("scale"));
    }
    assertTrue(results.getJsonObject("machine").getInteger("cores") > 0);
    assertTrue(results.getJsonArray("targets").size() >= (scale ? 14 : 11));
    Path png = out.resolve("streaming-latency.png");
    assertTrue(Files.isRegularFile(png) && Files.size(png) > 1000, "chart written: " + png);
  }

  /** Apply with 1 and 10 entities and snapshots at two sizes, each complete, and the chart. */
  private static void growthFigures(JsonObject growth, Path out) throws Exception {
    assertTrue(growth != null && !growth.containsKey("error"), "growth stage: " + growth);
    List<Integer> entities = new ArrayList<>();
    for (Object o : growth.getJsonArray("apply")) {
      JsonObject run = (JsonObject) o;
      entities.add(run.getInteger("entities"));
      positive(run, "rows_per_s");
      positive(run, "ratio_to_first");
    }
    assertEquals(List.of(1, 10), entities, "apply runs with 1 and 10 entities");
    List<Long> sizes = new ArrayList<>();
    for (Object o : growth.getJsonArray("snapshot")) {
      JsonObject run = (JsonObject) o;
      sizes.add(run.getLong("docs"));
      positive(run, "docs_per_s");
      positive(run, "peak_heap_used_mb");
    }
    assertEquals(List.of(5_000L, 20_000L), sizes, "snapshot runs at both quick sizes");
    Path png = out.resolve("growth.png");
    assertTrue(Files.isRegularFile(png) && Files.size(png) > 1000, "growth chart: " + png);
  }

  /**
   * Per-node apply figures with 1 and 3 nodes, both takeovers, and a resumed node that stays a
   * standby.
   */
  private static void scaleFigures(JsonObject scale) {
    assertTrue(scale != null && !scale.containsKey("error"), "scale stage: " + scale);
    JsonObject apply = scale.getJsonObject("apply");
    for (String run : List.of("one_node", "many_nodes")) {
      for (Object n : apply.getJsonObject(run).getJsonArray("per_node")) {
        positive((JsonObject) n, "rows_per_s");
        positive((JsonObject) n, "cpu_s");
      }
    }
    assertEquals(3, apply.getJsonObject("many_nodes").getJsonArray("per_node").size());
    positive(apply, "ratio_cpu_normalised");
    positive(apply, "ratio_per_node_rate");
    JsonObject failover = scale.getJsonObject("failover");
    for (String signal : List.of("sigkill", "sigstop")) {
      positive(failover.getJsonObject(signal), "takeover_ms");
      positive(failover.getJsonObject(signal), "writes_resumed_ms");
    }
    assertEquals(
        false,
        failover.getJsonObject("sigstop").getBoolean("resumed_led_again"),
        "the node resumed after SIGSTOP became a standby without leading again");
  }

  private static void positive(JsonObject o, String key) {
    assertTrue(
        o != null && o.getValue(key) instanceof Number n && n.doubleValue() > 0,
        key + " must be positive in " + o);
  }
}
