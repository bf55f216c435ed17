package io.emcachers.launcher;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code emcachers verify --entity NAME [--repair]}: starts a verification of one entity on a
 * running node through its API ({@code POST /api/entities/{name}/verify}), follows it ({@code GET
 * /api/verifications/{id}}) and prints the result.
 *
 * <p>Exit codes: 0 the run finished and the cache equals its source (nothing differed, or every
 * difference was repaired); 1 it finished with differences left (a dry run that found some, or
 * repairs that failed); 2 the run failed or stopped, or the API refused or could not be reached; 3
 * the wait timed out (the run goes on on the node).
 */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = "Verify (and with --repair, repair) one entity's cache against its source.")
final class VerifyCommand implements Callable<Integer> {

  private static final Set<String> ENDED = Set.of("finished", "failed", "stopped");

  @Option(names = "--entity", required = true, description = "the entity to verify")
  String entity;

  @Option(
      names = "--repair",
      description = "repair what differs (default: report only, change nothing)")
  boolean repair;

  @Option(
      names = "--api",
      defaultValue = "http://127.0.0.1:8080",
      description = "the node's API base URL (default: ${DEFAULT-VALUE})")
  String api;

  @Option(
      names = "--key",
      defaultValue = "${env:EMC_API_KEY}",
      description = "the API key (default: the EMC_API_KEY environment variable)")
  String key;

  @Option(
      names = "--timeout-s",
      defaultValue = "3600",
      description = "how long to wait for the run to end (default: ${DEFAULT-VALUE} s)")
  long timeoutS;

  @Option(
      names = "--no-wait",
      description = "print the started run and return without waiting for it")
  boolean noWait;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String base = api.endsWith("/") ? api.substring(0, api.length() - 1) : api;
    try {
      Reply started =
          send(
              HttpRequest.newBuilder(
                      URI.create(
                          base
                              + "/api/entities/"
                              + URLEncoder.encode(entity, StandardCharsets.UTF_8)
                              + "/verify"))
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          new JsonObject().put("repair", repair).encode())));
      if (started.status() != 202) {
        err.println("verify: the API refused: " + started.status() + " " + started.body().encode());
        return 2;
      }
      JsonObject job = started.body().getJsonObject("job");
      out.println(
          "verify: run " + job.getString("id") + " of " + entity + " on " + job.getString("node"));
      if (noWait) {
        out.println(job.encodePrettily());
        return 0;
      }
      Instant deadline = Instant.now().plusSeconds(timeoutS);
      while (!ENDED.contains(job.getString("state"))) {
        if (Instant.now().isAfter(deadline)) {
          err.println("verify: still running after " + timeoutS + " s: " + job.encode());
          return 3;
        }
        Thread.sleep(1000); // polling a remote run: the CLI has nothing else to wait on
        Reply r =
            send(
                HttpRequest.newBuilder(
                        URI.create(base + "/api/verifications/" + job.getString("id")))
                    .GET());
        if (r.status() != 200) {
          err.println("verify: cannot follow the run: " + r.status() + " " + r.body().encode());
          return 2;
        }
        job = r.body();
      }
      out.println(job.encodePrettily());
      return exitCode(job);
    } catch (IOException | IllegalArgumentException e) {
      err.println("verify: cannot reach the API at " + base + ": " + e.getMessage());
      return 2;
    }
  }

  /** 0 equal, 1 differences left, 2 the run did not finish. */
  static int exitCode(JsonObject job) {
    if (!"finished".equals(job.getString("state"))) {
      return 2;
    }
    JsonObject c = job.getJsonObject("counts", new JsonObject());
    long found = c.getLong("missing", 0L) + c.getLong("extra", 0L) + c.getLong("different", 0L);
    long fixed =
        c.getLong("repaired_oplog", 0L)
            + c.getLong("repaired_local", 0L)
            + c.getLong("superseded", 0L);
    boolean repaired = job.getBoolean("repair", false) && c.getLong("repair_failed", 0L) == 0;
    return found == 0 || (repaired && fixed >= found) ? 0 : 1;
  }

  private record Reply(int status, JsonObject body) {}

  private Reply send(HttpRequest.Builder request) throws IOException, InterruptedException {
    if (key != null && !key.isBlank()) {
      request.header("Authorization", "Bearer " + key);
    }
    HttpResponse<String> r =
        http.send(
            request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    JsonObject body;
    try {
      body = r.body() == null || r.body().isBlank() ? new JsonObject() : new JsonObject(r.body());
    } catch (DecodeException e) {
      body = new JsonObject().put("text", r.body());
    }
    return new Reply(r.statusCode(), body);
  }
}
