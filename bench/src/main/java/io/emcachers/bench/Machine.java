package io.emcachers.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the run ran on: cores, memory, CPU model, JDK, OS, JVM flags. */
final class Machine {

  private Machine() {}

  static JsonObject describe() {
    Runtime rt = Runtime.getRuntime();
    long total = 0;
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      total = os.getTotalMemorySize();
    }
    return new JsonObject()
        .put("cores", rt.availableProcessors())
        .put("memory_bytes", total)
        .put("memory_gib", Math.round(total / (1024.0 * 1024 * 1024) * 10) / 10.0)
        .put("cpu", cpuModel())
        .put(
            "jdk",
            System.getProperty("java.vm.vendor")
                + " "
                + System.getProperty("java.vm.name")
                + " "
                + System.getProperty("java.runtime.version"))
        .put(
            "os",
            System.getProperty("os.name")
                + " "
                + System.getProperty("os.version")
                + " "
                + System.getProperty("os.arch"))
        .put("jvm_max_heap_mb", rt.maxMemory() / (1024 * 1024))
        .put("jvm_args", new JsonArray(ManagementFactory.getRuntimeMXBean().getInputArguments()));
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (Exception e) {
      // not Linux
    }
    return System.getProperty("os.arch");
  }
}
