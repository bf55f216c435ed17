package io.emcachers.launcher.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.devservices.DevMongo;
import io.emcachers.devservices.DevPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts the app jar ({@code target/emcachers.jar run}) as a separate JVM against test servers, its
 * output appended to {@code log}, and waits for its next "emcachers ready" line.
 */
final class AppProcess {

  private AppProcess() {}

  /**
   * @param entities the entity definitions to apply at start, or null for none
   * @param env environment overrides ({@code EMC_*}) on top of the caller's
   */
  static Process start(
      DevMongo mongo,
      DevPostgres pg,
      Path dataDir,
      Path entities,
      Path log,
      int httpPort,
      String maxHeap,
      Map<String, String> env)
      throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    Path jar = Path.of("target", "emcachers.jar").toAbsolutePath();
    assertTrue(Files.exists(jar), "build the jar first (mvn package): " + jar);
    List<String> command =
        new ArrayList<>(
            List.of(
                java,
                "-Xmx" + maxHeap,
                "-jar",
                jar.toString(),
                "run",
                "--mongo-url",
                mongo.url("app"),
                "--pg-url",
                pg.url(),
                "--data-dir",
                dataDir.toString(),
                "--http-port",
                String.valueOf(httpPort)));
    if (entities != null) {
      command.addAll(List.of("--entities", entities.toString()));
    }
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putAll(env);
    pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    long readyBefore = CrashRecoveryIT.readyLines(log);
    Process p = pb.start();
    await()
        .atMost(Duration.ofSeconds(120))
        .until(() -> !p.isAlive() || CrashRecoveryIT.readyLines(log) > readyBefore);
    assertTrue(p.isAlive(), "app exited early; log:\n" + Files.readString(log));
    return p;
  }
}
