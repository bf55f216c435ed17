package io.emcachers.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.management.ListenerNotFoundException;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * The pipeline JVM's heap and RSS while a stage runs: heap used sampled every 20 ms plus the
 * before/after figures of every GC (from GC notifications, so a peak between two samples is not
 * missed), and the RSS high-water mark ({@code VmHWM} of {@code /proc/self/status}, reset at start
 * through {@code /proc/self/clear_refs} where the kernel allows it).
 */
final class MemorySampler implements AutoCloseable {

  private volatile long peakUsed;
  private volatile long peakAfterGc;
  private volatile int gcCount;
  private volatile boolean running = true;
  private final Thread thread;
  private final List<NotificationEmitter> emitters = new ArrayList<>();
  private final NotificationListener listener;
  private final boolean hwmReset;
  private final long rssAtStart;

  MemorySampler() {
    hwmReset = resetHwm();
    rssAtStart = procStatusKb("VmRSS") * 1024;
    listener =
        (notification, handback) -> {
          if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(
              notification.getType())) {
            return;
          }
          GarbageCollectionNotificationInfo info =
              GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
          long before = heapOnly(info.getGcInfo().getMemoryUsageBeforeGc());
          long after = heapOnly(info.getGcInfo().getMemoryUsageAfterGc());
          synchronized (this) {
            peakUsed = Math.max(peakUsed, before);
            peakAfterGc = Math.max(peakAfterGc, after);
            gcCount++;
          }
        };
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof NotificationEmitter ne) {
        ne.addNotificationListener(listener, null, null);
        emitters.add(ne);
      }
    }
    thread =
        new Thread(
            () -> {
              while (running) {
                long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
                synchronized (this) {
                  peakUsed = Math.max(peakUsed, used);
                }
                try {
                  Thread.sleep(20);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "bench-memory-sampler");
    thread.setDaemon(true);
    thread.start();
  }

  private static long heapOnly(Map<String, MemoryUsage> pools) {
    long sum = 0;
    for (var e : pools.entrySet()) {
      String n = e.getKey();
      // heap pools of every collector: eden/survivor/old (Parallel, G1, Serial)
      if (n.contains("Eden")
          || n.contains("Survivor")
          || n.contains("Old")
          || n.contains("Tenured")) {
        sum += e.getValue().getUsed();
      }
    }
    return sum;
  }

  /** Peak heap used, garbage included (the most the heap held at any moment). */
  long peakUsed() {
    return peakUsed;
  }

  /** Peak heap still live after a collection (the pipeline's working set); 0 when no GC ran. */
  long peakAfterGc() {
    return peakAfterGc;
  }

  int gcCount() {
    return gcCount;
  }

  boolean hwmReset() {
    return hwmReset;
  }

  long rssAtStart() {
    return rssAtStart;
  }

  /**
   * VmHWM in bytes (peak RSS since the reset, or since the JVM started when it could not reset).
   */
  static long rssPeak() {
    return procStatusKb("VmHWM") * 1024;
  }

  static long procStatusKb(String key) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(key + ":")) {
          return Long.parseLong(line.substring(key.length() + 1).trim().split("\\s+")[0]);
        }
      }
    } catch (Exception e) {
      // not Linux: no RSS figure
    }
    return 0;
  }

  private static boolean resetHwm() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
    for (NotificationEmitter ne : emitters) {
      try {
        ne.removeNotificationListener(listener);
      } catch (ListenerNotFoundException e) {
        // already gone
      }
    }
  }
}
