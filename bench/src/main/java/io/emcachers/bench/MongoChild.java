package io.emcachers.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Starts {@link MongoServerMain} in a child JVM and talks to it over its stdin/stdout. */
final class MongoChild implements AutoCloseable {

  private final Process process;
  private final BufferedReader out;
  private final Writer in;
  private final String url;

  private MongoChild(Process process, BufferedReader out, Writer in, String url) {
    this.process = process;
    this.out = out;
    this.in = in;
    this.url = url;
  }

  /** Starts the child with the given max heap (e.g. {@code 3g}); waits until it prints its URL. */
  static MongoChild start(String heap, List<String> jvmArgs) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + heap, "-XX:+UseParallelGC"));
    cmd.addAll(jvmArgs);
    cmd.addAll(
        List.of(
            "-cp", System.getProperty("java.class.path"), MongoServerMain.class.getName(), "0"));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    Writer in = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
    CompletableFuture<String> first =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                // JVM options such as -XX:StartFlightRecording may print lines before the URL
                String l;
                while ((l = out.readLine()) != null && !l.startsWith("MONGO_URL=")) {
                  System.err.println("mongo server: " + l);
                }
                return l;
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            });
    String line;
    try {
      line = first.get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      p.destroyForcibly();
      throw new IOException("MongoDB wire-protocol server did not start: " + e, e);
    }
    if (line == null || !line.startsWith("MONGO_URL=")) {
      p.destroyForcibly();
      throw new IOException(
          "MongoDB wire-protocol server printed '" + line + "' instead of its URL");
    }
    return new MongoChild(p, out, in, line.substring("MONGO_URL=".length()));
  }

  /** {@code mongodb://127.0.0.1:PORT/DATABASE}. */
  String url(String database) {
    return url + "/" + database;
  }

  long pid() {
    return process.pid();
  }

  /** Sends one command line and returns the answer after {@code ok }; throws on {@code error}. */
  synchronized String command(String line) throws IOException {
    in.write(line + "\n");
    in.flush();
    String reply = out.readLine();
    if (reply == null) {
      throw new IOException("MongoDB server process exited (command: " + line + ")");
    }
    if (!reply.startsWith("ok")) {
      throw new IOException("MongoDB server: " + reply + " (command: " + line + ")");
    }
    return reply.length() > 3 ? reply.substring(3) : "";
  }

  @Override
  public void close() {
    try {
      in.close();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (IOException | InterruptedException e) {
      process.destroyForcibly();
    }
  }
}
