package io.emcachers.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One emcachers node in its own JVM, started the way a user starts it ({@code java -jar
 * emcachers.jar run ...} with {@code EMC_*} variables), its output in {@code log}. The scale stage
 * signals it ({@code SIGKILL}, {@code SIGSTOP}/{@code SIGCONT}) and reads its CPU time from {@code
 * /proc}. {@link #close()} resumes a stopped node and ends it, so no child outlives the run.
 */
final class AppNode implements AutoCloseable {

  /** The line {@code emcachers run} logs once every component is deployed. */
  static final String READY = "emcachers ready";

  /** Every node started and not closed yet: a benchmark ended by a signal ends them too. */
  private static final Set<AppNode> RUNNING = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> List.copyOf(RUNNING).forEach(AppNode::close), "app-nodes-stop"));
  }

  private final String id;
  private final Path dataDir;
  private final Path log;
  private final int httpPort;
  private Process process;
  private boolean frozen;

  private AppNode(String id, Path dataDir, Path log, int httpPort) {
    this.id = id;
    this.dataDir = dataDir;
    this.log = log;
    this.httpPort = httpPort;
  }

  /**
   * How the app is started: {@code -jar} the app jar when it exists, else the launcher classes this
   * benchmark jar carries (the same code, shaded in) — so a bench jar copied elsewhere still runs.
   */
  record Launch(List<String> command, String describe) {

    static Launch of(Path appJar, String heap) {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + heap, "-XX:+UseParallelGC"));
      Path jar = appJar != null ? appJar : defaultJar();
      if (jar != null && Files.isRegularFile(jar)) {
        cmd.addAll(List.of("-jar", jar.toAbsolutePath().toString()));
        return new Launch(cmd, jar.toAbsolutePath().toString());
      }
      if (appJar != null) {
        throw new IllegalArgumentException("--app-jar " + appJar + " does not exist");
      }
      cmd.addAll(
          List.of("-cp", System.getProperty("java.class.path"), "io.emcachers.launcher.Main"));
      return new Launch(cmd, "io.emcachers.launcher.Main from the benchmark jar");
    }

    /** {@code launcher/target/emcachers.jar} from the repository root or from {@code bench/}. */
    private static Path defaultJar() {
      for (String p :
          List.of("launcher/target/emcachers.jar", "../launcher/target/emcachers.jar")) {
        if (Files.isRegularFile(Path.of(p))) {
          return Path.of(p);
        }
      }
      return null;
    }
  }

  /**
   * Starts {@code run} with {@code args} and {@code env} on top of this JVM's environment; returns
   * at once ({@link #awaitReady} waits).
   */
  static AppNode start(
      Launch launch,
      String id,
      Path dataDir,
      Path log,
      int httpPort,
      List<String> args,
      Map<String, String> env)
      throws IOException {
    AppNode node = new AppNode(id, dataDir, log, httpPort);
    node.spawn(launch, args, env);
    return node;
  }

  private void spawn(Launch launch, List<String> args, Map<String, String> env) throws IOException {
    Files.createDirectories(dataDir);
    List<String> cmd = new ArrayList<>(launch.command());
    cmd.add("run");
    cmd.addAll(args);
    cmd.addAll(List.of("--data-dir", dataDir.toString()));
    if (httpPort > 0) {
      cmd.addAll(List.of("--http-port", String.valueOf(httpPort)));
    }
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().putAll(env);
    pb.environment().put("EMC_NODE_ID", id);
    pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    readyBefore = count(READY);
    process = pb.start();
    frozen = false;
    RUNNING.add(this);
  }

  private long readyBefore;

  /** Waits for the next {@link #READY} line; fails with the log's tail when the JVM exits first. */
  void awaitReady(long timeoutMs) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (count(READY) <= readyBefore) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "node " + id + " exited with " + process.exitValue() + " before it was ready" + tail());
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "node " + id + " not ready within " + timeoutMs + " ms" + tail());
      }
      Thread.sleep(50);
    }
  }

  /** Lines of the log containing {@code fragment}. */
  long count(String fragment) throws IOException {
    if (!Files.exists(log)) {
      return 0;
    }
    try (Stream<String> lines = Files.lines(log)) {
      return lines.filter(l -> l.contains(fragment)).count();
    }
  }

  /** The last 40 lines of the node's log, for error messages. */
  String tail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return "\n--- "
          + log
          + " (last 40 lines) ---\n"
          + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "";
    }
  }

  String id() {
    return id;
  }

  Path dataDir() {
    return dataDir;
  }

  int httpPort() {
    return httpPort;
  }

  long pid() {
    return process.pid();
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  /** CPU seconds (user + system) the JVM has used so far; 0 once it is gone. */
  double cpuSeconds() {
    return process == null ? 0 : CpuMeter.cpuSeconds(process.pid());
  }

  /** Sends {@code kill -SIG pid} ({@code STOP}, {@code CONT}, ...) and waits for the command. */
  void signal(String sig) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + sig, Long.toString(pid())).start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -" + sig + " " + pid() + " failed");
    }
    if ("STOP".equals(sig)) {
      frozen = true;
    } else if ("CONT".equals(sig)) {
      frozen = false;
    }
  }

  /** SIGKILL, and waits until the process is gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
    frozen = false;
  }

  /** Resumes the node if it is stopped, then SIGTERM (graceful), SIGKILL after 30 s. */
  @Override
  public void close() {
    RUNNING.remove(this);
    if (process == null || !process.isAlive()) {
      return;
    }
    try {
      if (frozen) {
        signal("CONT");
      }
    } catch (Exception e) {
      // SIGKILL below ends it either way
    }
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
