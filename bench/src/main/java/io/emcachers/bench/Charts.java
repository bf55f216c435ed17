package io.emcachers.bench;

import io.vertx.core.json.JsonObject;
import java.awt.BasicStroke;
import java.awt.Color;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The run's charts: streaming latency (one cumulative distribution per rate) and growth (apply
 * rows/s by entities, snapshot docs/s by documents).
 */
final class Charts {

  private Charts() {}

  static void streamingLatency(
      Path png, StreamingStep base, List<StreamingStep> ramp, String subtitle) throws Exception {
    System.setProperty("java.awt.headless", "true");
    XYChart chart =
        new XYChartBuilder()
            .width(1000)
            .height(600)
            .title(
                String.format(
                    "Source write → visible in SQLite, %.0f changes/s for %.0f s: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms",
                    base.targetRate(),
                    base.seconds(),
                    Percentiles.ms(base.latency().at(0.5)),
                    Percentiles.ms(base.latency().at(0.95)),
                    Percentiles.ms(base.latency().at(0.99)),
                    Percentiles.ms(base.latency().max())))
            .xAxisTitle("latency from source write to visible in SQLite (ms)   —   " + subtitle)
            .yAxisTitle("% of changes visible within")
            .build();
    chart.getStyler().setXAxisMin(0.0);
    chart.getStyler().setXAxisDecimalPattern("#,##0");
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
    chart.getStyler().setChartTitleFont(chart.getStyler().getChartTitleFont().deriveFont(13f));
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setYAxisMax(100.0);
    chart.getStyler().setPlotGridLinesVisible(true);
    add(chart, base, true);
    for (StreamingStep s : ramp) {
      add(chart, s, false);
    }
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  private static void add(XYChart chart, StreamingStep s, boolean base) {
    long[] v = s.latency().sortedValues();
    if (v.length == 0) {
      return;
    }
    int points = Math.min(v.length, 400);
    double[] x = new double[points];
    double[] y = new double[points];
    for (int i = 0; i < points; i++) {
      int idx =
          (int)
              Math.min(
                  v.length - 1, Math.round((double) i * (v.length - 1) / Math.max(1, points - 1)));
      x[i] = Math.max(0.01, v[idx] / 1e6);
      y[i] = 100.0 * (idx + 1) / v.length;
    }
    String name =
        String.format(
            "%s%.0f/s (p99 %.1f ms%s)",
            base ? "base " : "ramp ",
            s.targetRate(),
            Percentiles.ms(s.latency().at(0.99)),
            s.sustained() ? "" : ", not sustained");
    XYSeries series = chart.addSeries(name, x, y);
    series.setMarker(SeriesMarkers.NONE);
    if (base) {
      series.setLineColor(Color.BLACK);
      series.setLineStyle(new BasicStroke(3f));
    }
  }

  /**
   * Two panels side by side: apply rows/s against the number of entities, snapshot docs/s against
   * the collection size; both x axes logarithmic, so a flat line is flat cost per row.
   */
  static void growth(Path png, JsonObject growth, String subtitle) throws Exception {
    System.setProperty("java.awt.headless", "true");
    XYChart apply =
        panel(
            "Apply rows/s by entities (" + subtitle + ")",
            "entities (log)",
            "rows/s",
            GrowthTables.runs(growth.getJsonArray("apply")),
            "entities",
            "rows_per_s");
    XYChart snapshot =
        panel(
            "Snapshot docs/s by collection size",
            "documents (log)",
            "docs/s",
            GrowthTables.runs(growth.getJsonArray("snapshot")),
            "docs",
            "docs_per_s");
    BitmapEncoder.saveBitmap(
        List.of(apply, snapshot), 1, 2, png.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  private static XYChart panel(
      String title, String xTitle, String yTitle, List<JsonObject> runs, String x, String y) {
    XYChart chart =
        new XYChartBuilder().width(600).height(450).title(title).xAxisTitle(xTitle).build();
    chart.setYAxisTitle(yTitle);
    chart.getStyler().setXAxisLogarithmic(true);
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setLegendVisible(false);
    chart.getStyler().setPlotGridLinesVisible(true);
    chart.getStyler().setChartTitleFont(chart.getStyler().getChartTitleFont().deriveFont(12f));
    chart.getStyler().setYAxisDecimalPattern("#,##0");
    if (runs.isEmpty()) {
      return chart;
    }
    double[] xs = runs.stream().mapToDouble(r -> r.getDouble(x)).toArray();
    double[] ys = runs.stream().mapToDouble(r -> r.getDouble(y)).toArray();
    XYSeries s = chart.addSeries(yTitle, xs, ys);
    s.setMarker(SeriesMarkers.CIRCLE);
    s.setLineColor(Color.BLACK);
    return chart;
  }
}
