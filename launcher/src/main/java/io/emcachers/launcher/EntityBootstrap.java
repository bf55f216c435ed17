package io.emcachers.launcher;

import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.client.EntitiesClient;
import io.emcachers.core.client.OplogClient;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.launcher.config.LaunchConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates or updates entity definitions at start ({@code --entities FILE}, {@code --demo}). */
final class EntityBootstrap {

  private static final Logger LOG = LoggerFactory.getLogger(EntityBootstrap.class);

  private EntityBootstrap() {}

  /** Reads a JSON array of definitions; a precise error when the file is missing or malformed. */
  static JsonArray readFile(Path file) {
    try {
      String text = Files.readString(file);
      Object parsed = io.vertx.core.json.Json.decodeValue(text);
      if (!(parsed instanceof JsonArray arr)) {
        throw new IllegalArgumentException(
            "--entities " + file + ": expected a JSON array of entity definitions");
      }
      for (int i = 0; i < arr.size(); i++) {
        if (!(arr.getValue(i) instanceof JsonObject)) {
          throw new IllegalArgumentException(
              "--entities " + file + ": element " + i + " is not a JSON object");
        }
      }
      return arr;
    } catch (IOException e) {
      throw new IllegalArgumentException("--entities " + file + ": cannot read: " + e.getMessage());
    } catch (io.vertx.core.json.DecodeException e) {
      throw new IllegalArgumentException(
          "--entities " + file + ": malformed JSON: " + e.getMessage());
    }
  }

  /**
   * Creates each definition, or updates it when it exists; waits (bounded) for the oplog leader.
   */
  static Future<Void> apply(Vertx vertx, JsonArray definitions, Duration waitForLeader) {
    long deadline = System.nanoTime() + waitForLeader.toNanos();
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < definitions.size(); i++) {
      JsonObject def = definitions.getJsonObject(i);
      chain = chain.compose(v -> upsert(vertx, def, deadline));
    }
    return chain;
  }

  /** Whether this node runs an oplog verticle that does not lead (asked node-locally). */
  static boolean localOplogIsStandby(Vertx vertx, LaunchConfig launch) {
    if (!launch.has("oplog")) {
      return false;
    }
    try {
      HealthReply r =
          new OplogClient(vertx.eventBus()).leaderLocal(5000).await(10, TimeUnit.SECONDS);
      return !r.details().getBoolean("leader", false);
    } catch (Exception e) {
      return false; // unknown: apply in the foreground, which waits for a leader and says why
    }
  }

  /**
   * {@link #apply} without a deadline, in the background: retried until a leader accepts the
   * definitions; an invalid definition is logged once as an error and the rest are not applied.
   */
  static void applyInBackground(Vertx vertx, JsonArray definitions, String source) {
    apply(vertx, definitions, Duration.ofDays(3650))
        .onSuccess(
            v ->
                LOG.info(
                    "{} entity definition(s) from {} applied through the leader",
                    definitions.size(),
                    source))
        .onFailure(
            err ->
                LOG.error(
                    "entity definitions from {} were not applied: {}", source, err.getMessage()));
  }

  private static Future<Void> upsert(Vertx vertx, JsonObject def, long deadline) {
    return new EntitiesClient(vertx.eventBus())
        .create(def)
        .onSuccess(
            r -> LOG.info("entity {} created (status {})", r.entity().name(), r.entity().status()))
        .<Void>mapEmpty()
        .recover(
            err -> {
              if (Bus.codeOf(err) == ErrorCodes.CONFLICT) {
                return new EntitiesClient(vertx.eventBus())
                    .update(def)
                    .onSuccess(
                        r ->
                            LOG.info(
                                "entity {} exists; definition applied (version {}, status {})",
                                r.entity().name(),
                                r.entity().version(),
                                r.entity().status()))
                    .mapEmpty();
              }
              boolean retriable =
                  err instanceof ReplyException re
                      && (re.failureCode() < 0 || ErrorCodes.retriable(re.failureCode()));
              if (retriable && System.nanoTime() < deadline) {
                return vertx.timer(250).compose(t -> upsert(vertx, def, deadline));
              }
              return Future.failedFuture(
                  new IllegalArgumentException(
                      "entity '" + def.getValue("name") + "': " + Bus.textOf(err)));
            });
  }
}
