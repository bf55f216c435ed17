package io.emcachers.bench;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU time spent during a stage, per process group, from {@code /proc}: this JVM (the pipeline and
 * the benchmark driver), the MongoDB server's JVM, every {@code postgres} process, and the whole
 * machine (so CPU taken by anything else on a shared machine shows as {@code other}). Set against
 * the stage's wall time and the core count, it says whether a stage is CPU-bound and where. Empty
 * figures where {@code /proc} does not exist.
 */
final class CpuMeter {

  /** USER_HZ: the unit of /proc CPU times; 100 on every mainstream Linux build. */
  private static final double TICKS = 100.0;

  private final long mongoPid;
  private final long selfPid = ProcessHandle.current().pid();
  private Snapshot start;
  private long startNanos;

  CpuMeter(long mongoPid) {
    this.mongoPid = mongoPid;
  }

  /** Ticks so far: this JVM, the MongoDB JVM, each postgres process by pid, the machine. */
  private record Snapshot(
      long self, long mongo, java.util.Map<Long, Long> postgres, long machineBusy) {}

  CpuMeter start() {
    start = snapshot();
    startNanos = System.nanoTime();
    return this;
  }

  private JsonObject kept;

  /**
   * Stops now and keeps the figures for {@link #kept()} (when the measured work's processes exit
   * before the caller can stop).
   */
  void stopAndKeep() {
    kept = stop();
  }

  JsonObject kept() {
    return kept;
  }

  /** CPU seconds per group since {@link #start()}, with the wall time and cores. */
  JsonObject stop() {
    Snapshot end = snapshot();
    double wall = (System.nanoTime() - startNanos) / 1e9;
    double self = (end.self - start.self) / TICKS;
    double mongo = (end.mongo - start.mongo) / TICKS;
    long pgTicks = 0;
    for (var e : end.postgres.entrySet()) {
      // a backend that exited meanwhile is gone from /proc: its time shows under "other"
      pgTicks += e.getValue() - start.postgres.getOrDefault(e.getKey(), 0L);
    }
    double pg = pgTicks / TICKS;
    double machine = (end.machineBusy - start.machineBusy) / TICKS;
    int cores = Runtime.getRuntime().availableProcessors();
    return new JsonObject()
        .put("wall_s", BenchMain.round(wall, 2))
        .put("pipeline_jvm_cpu_s", BenchMain.round(self, 2))
        .put("postgres_cpu_s", BenchMain.round(pg, 2))
        .put("mongo_jvm_cpu_s", BenchMain.round(mongo, 2))
        .put("other_cpu_s", BenchMain.round(Math.max(0, machine - self - pg - mongo), 2))
        .put("machine_busy", BenchMain.round(machine / Math.max(1e-9, wall * cores), 3));
  }

  private Snapshot snapshot() {
    long self = ticks(selfPid);
    long mongo = mongoPid > 0 ? ticks(mongoPid) : 0;
    java.util.Map<Long, Long> pg = new java.util.HashMap<>();
    try (DirectoryStream<Path> procs =
        Files.newDirectoryStream(
            Path.of("/proc"),
            p -> p.getFileName().toString().chars().allMatch(Character::isDigit))) {
      for (Path p : procs) {
        String stat = read(p.resolve("stat"));
        if (stat != null && stat.contains("(postgres)")) {
          pg.put(Long.parseLong(p.getFileName().toString()), ticks(stat));
        }
      }
    } catch (IOException e) {
      // no /proc
    }
    return new Snapshot(self, mongo, pg, machineBusy());
  }

  /** CPU seconds (user + system) process {@code pid} has used so far; 0 when it is gone. */
  static double cpuSeconds(long pid) {
    return ticks(pid) / TICKS;
  }

  private static long ticks(long pid) {
    String stat = read(Path.of("/proc", Long.toString(pid), "stat"));
    return stat == null ? 0 : ticks(stat);
  }

  /**
   * utime + stime of one /proc/PID/stat line (fields 14 and 15, counted after the command name).
   */
  private static long ticks(String stat) {
    int close = stat.lastIndexOf(')');
    String[] f = stat.substring(close + 2).trim().split("\\s+");
    // f[0] is field 3 (state): utime is field 14 → f[11], stime field 15 → f[12]
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  private static long machineBusy() {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/stat"));
      String[] f = lines.get(0).trim().split("\\s+");
      long busy = 0;
      for (int i = 1;
          i < Math.min(f.length, 9);
          i++) { // user..steal; guest time is already in user
        if (i != 4 && i != 5) { // idle, iowait
          busy += Long.parseLong(f[i]);
        }
      }
      return busy;
    } catch (Exception e) {
      return 0;
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return null;
    }
  }
}
