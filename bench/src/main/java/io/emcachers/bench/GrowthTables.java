package io.emcachers.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;

/** The growth stage's tables ({@link GrowthStage}) and its lines of the regression guard. */
final class GrowthTables {

  private GrowthTables() {}

  /** The apply and snapshot growth tables; empty when the stage did not run. */
  static String markdown(JsonObject results) {
    JsonObject g = results.getJsonObject("stages").getJsonObject("growth");
    if (g == null) {
      return "";
    }
    if (g.containsKey("error")) {
      return "growth FAILED: " + g.getString("error");
    }
    StringBuilder sb = new StringBuilder();
    sb.append(
        "| growth: apply | entities | rows | rows/s | vs 1st | pipeline JVM µs/row | postgres cpu s | other cpu s |\n");
    sb.append("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (JsonObject r : runs(g.getJsonArray("apply"))) {
      sb.append(
          String.format(
              Locale.ROOT,
              "| apply | %d | %,d | %,d | %.0f%% | %.2f | %.1f | %.1f |%n",
              r.getInteger("entities"),
              r.getLong("rows"),
              r.getLong("rows_per_s"),
              100 * r.getDouble("ratio_to_first"),
              r.getDouble("pipeline_jvm_cpu_us_per_row"),
              r.getJsonObject("cpu").getDouble("postgres_cpu_s"),
              r.getJsonObject("cpu").getDouble("other_cpu_s")));
    }
    sb.append("\n");
    sb.append(
        "| growth: snapshot | docs | seconds | docs/s | vs 1st | pipeline JVM µs/doc | heap peak / live MB | MongoDB JVM cpu s | other cpu s |\n");
    sb.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (JsonObject r : runs(g.getJsonArray("snapshot"))) {
      sb.append(
          String.format(
              Locale.ROOT,
              "| snapshot | %,d | %.1f | %,d | %.0f%% | %.2f | %d / %d | %.1f | %.1f |%n",
              r.getLong("docs"),
              r.getDouble("seconds"),
              r.getLong("docs_per_s"),
              100 * r.getDouble("ratio_to_first"),
              r.getDouble("pipeline_jvm_cpu_us_per_doc"),
              r.getLong("peak_heap_used_mb"),
              r.getLong("peak_heap_live_after_gc_mb"),
              r.getJsonObject("cpu").getDouble("mongo_jvm_cpu_s"),
              r.getJsonObject("cpu").getDouble("other_cpu_s")));
    }
    return sb.toString().trim();
  }

  /** The regression guard's growth lines: the largest size's rate against the smallest's. */
  static void guard(JsonObject stages, List<String[]> rows) {
    JsonObject g = stages.getJsonObject("growth");
    if (g == null || g.containsKey("error")) {
      return;
    }
    line(
        rows, g.getJsonArray("apply"), "entities", "apply with %d → %d entities: %,d → %,d rows/s");
    line(rows, g.getJsonArray("snapshot"), "docs", "snapshot of %,d → %,d docs: %,d → %,d docs/s");
  }

  private static void line(List<String[]> rows, JsonArray runs, String size, String format) {
    List<JsonObject> list = runs(runs);
    if (list.size() < 2) {
      return;
    }
    JsonObject first = list.get(0);
    JsonObject last = list.get(list.size() - 1);
    String rate = first.containsKey("rows_per_s") ? "rows_per_s" : "docs_per_s";
    rows.add(
        new String[] {
          "growth",
          String.format(
              Locale.ROOT,
              format,
              first.getLong(size),
              last.getLong(size),
              first.getLong(rate),
              last.getLong(rate)),
          String.format(
              Locale.ROOT, "%.0f%% of the smallest", 100 * last.getDouble("ratio_to_first")),
          "flat (no superlinear cost)",
          String.format(Locale.ROOT, "%.1f", last.getJsonObject("cpu").getDouble("other_cpu_s"))
        });
  }

  static List<JsonObject> runs(JsonArray a) {
    return a == null ? List.of() : a.stream().map(o -> (JsonObject) o).toList();
  }
}
