package io.emcachers.launcher;

import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGTERM/SIGINT handling: run the graceful stop once, then exit 0. Uses the JDK's signal API where
 * available so a requested stop ends with status 0 rather than 143; a shutdown hook covers the rest
 * (System.exit from elsewhere).
 */
final class Shutdown {

  private static final Logger LOG = LoggerFactory.getLogger(Shutdown.class);
  private static final AtomicBoolean STARTED = new AtomicBoolean();

  private Shutdown() {}

  static void install(Runnable gracefulStop) {
    Runnable once =
        () -> {
          if (STARTED.compareAndSet(false, true)) {
            gracefulStop.run();
          }
        };
    Runtime.getRuntime().addShutdownHook(new Thread(once, "emc-shutdown-hook"));
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        sun.misc.Signal.handle(
            new sun.misc.Signal(name),
            sig -> {
              LOG.info("received SIG{}, shutting down", name);
              Thread t =
                  new Thread(
                      () -> {
                        once.run();
                        System.exit(0);
                      },
                      "emc-signal-" + name);
              t.start();
            });
      } catch (RuntimeException | LinkageError e) {
        LOG.debug("signal {} not handled directly: {}", name, e.toString());
      }
    }
  }
}
