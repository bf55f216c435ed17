package io.emcachers.api.system;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.backends.BackendRegistries;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.lang.management.OperatingSystemMXBean;
import java.lang.management.RuntimeMXBean;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * JVM and Vert.x pool statistics of this process, read from the platform MXBeans and Micrometer.
 */
public final class JvmStats {

  private JvmStats() {}

  public static JsonObject memory() {
    var mem = ManagementFactory.getMemoryMXBean();
    return new JsonObject()
        .put("heap", usage(mem.getHeapMemoryUsage()))
        .put("non_heap", usage(mem.getNonHeapMemoryUsage()));
  }

  private static JsonObject usage(MemoryUsage u) {
    return new JsonObject()
        .put("used_bytes", u.getUsed())
        .put("committed_bytes", u.getCommitted())
        .put("max_bytes", u.getMax());
  }

  public static JsonObject cpu() {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    JsonObject cpu =
        new JsonObject()
            .put("available_processors", os.getAvailableProcessors())
            .put("system_load_average", os.getSystemLoadAverage());
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      cpu.put("process_cpu_load", sun.getProcessCpuLoad())
          .put("system_cpu_load", sun.getCpuLoad())
          .put("process_cpu_time_ns", sun.getProcessCpuTime());
    }
    return cpu;
  }

  public static JsonObject runtime() {
    RuntimeMXBean rt = ManagementFactory.getRuntimeMXBean();
    return new JsonObject()
        .put("uptime_ms", rt.getUptime())
        .put("started_at", Instant.ofEpochMilli(rt.getStartTime()).toString())
        .put("java_version", System.getProperty("java.version"))
        .put("vm", rt.getVmName() + " " + rt.getVmVersion());
  }

  /**
   * Thread counts, and Vert.x event-loop and worker threads by state: a worker thread that is
   * RUNNABLE is busy, one that waits is idle.
   */
  public static JsonObject threads() {
    ThreadMXBean tm = ManagementFactory.getThreadMXBean();
    int loops = 0;
    int workers = 0;
    int busyWorkers = 0;
    int blocking = 0;
    for (ThreadInfo info : tm.getThreadInfo(tm.getAllThreadIds(), 0)) {
      if (info == null) {
        continue;
      }
      String name = info.getThreadName();
      if (name.startsWith("vert.x-eventloop-thread-")) {
        loops++;
      } else if (name.startsWith("vert.x-worker-thread-")) {
        workers++;
        if (info.getThreadState() == Thread.State.RUNNABLE) {
          busyWorkers++;
        }
      } else if (name.startsWith("vert.x-internal-blocking-")) {
        blocking++;
      }
    }
    return new JsonObject()
        .put("live", tm.getThreadCount())
        .put("peak", tm.getPeakThreadCount())
        .put("daemon", tm.getDaemonThreadCount())
        .put("started_total", tm.getTotalStartedThreadCount())
        .put("vertx_event_loop_threads", loops)
        .put("vertx_worker_threads", workers)
        .put("vertx_worker_threads_busy", busyWorkers)
        .put("vertx_internal_blocking_threads", blocking);
  }

  /**
   * Vert.x pool gauges (worker, internal blocking, ...) when Micrometer metrics are enabled; else
   * null.
   */
  public static JsonArray pools() {
    MeterRegistry registry = BackendRegistries.getDefaultNow();
    if (registry == null) {
      return null;
    }
    Map<String, JsonObject> pools = new TreeMap<>();
    for (Meter meter : registry.getMeters()) {
      String name = meter.getId().getName().replace('.', '_');
      if (!name.startsWith("vertx_pool_") || !(meter instanceof Gauge gauge)) {
        continue;
      }
      String type = meter.getId().getTag("pool_type");
      String poolName = meter.getId().getTag("pool_name");
      String key = type + "/" + poolName;
      JsonObject pool =
          pools.computeIfAbsent(key, k -> new JsonObject().put("type", type).put("name", poolName));
      double value = gauge.value();
      pool.put(name.substring("vertx_pool_".length()), Double.isNaN(value) ? null : value);
    }
    JsonArray arr = new JsonArray();
    pools.values().forEach(arr::add);
    return arr;
  }
}
