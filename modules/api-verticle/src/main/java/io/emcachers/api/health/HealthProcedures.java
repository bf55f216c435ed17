package io.emcachers.api.health;

import io.emcachers.api.BusClient;
import io.emcachers.core.bus.Addresses;
import io.emcachers.core.circuit.Breakers;
import io.emcachers.core.messages.HealthReply;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.CheckResult;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import java.util.List;
import java.util.function.Function;

/**
 * The vertx-health-check procedures of {@code /health} and {@code /health/detailed}, one per part
 * of the system, each asking its component over the bus with a deadline. A component that does not
 * answer in time, or has no handler, is DOWN with the reason.
 *
 * <ul>
 *   <li>{@code postgres}, {@code oplog} — {@code emc.oplog.health} (state leader or standby)
 *   <li>{@code mongodb}, {@code listener} — {@code emc.listener.health}
 *   <li>{@code replicator} — {@code emc.replicator.stats}
 *   <li>{@code cache-db} — {@code emc.cache.health}
 * </ul>
 *
 * <p>A component that guards its dependency with a circuit breaker reports it in {@code
 * details.circuits} ({@code {"postgresql": {"state": "closed", "failures": 0, ...}}}); the {@code
 * postgres} and {@code mongodb} procedures show their target's breaker as {@code data.circuit}, and
 * {@link #circuits} gathers every reported breaker for the top-level {@code circuits} of {@code
 * /health/detailed}.
 */
public final class HealthProcedures {

  /** Procedure ids in report order. */
  public static final List<String> NAMES =
      List.of("postgres", "mongodb", "oplog", "listener", "replicator", "cache-db");

  private final BusClient bus;
  private final long timeoutMs;
  private final HealthChecks checks;

  public HealthProcedures(Vertx vertx, BusClient bus, long timeoutMs) {
    this.bus = bus;
    this.timeoutMs = timeoutMs;
    this.checks = HealthChecks.create(vertx);
    // The bus deadline fires first and gives the precise reason; the procedure timeout is a
    // backstop.
    long backstop = timeoutMs + 1_000;
    checks.register(
        "postgres",
        backstop,
        p -> probe(Addresses.OPLOG_HEALTH, HealthProcedures::postgres).onComplete(p));
    checks.register(
        "mongodb",
        backstop,
        p -> probe(Addresses.LISTENER_HEALTH, HealthProcedures::mongodb).onComplete(p));
    checks.register(
        "oplog",
        backstop,
        p -> probe(Addresses.OPLOG_HEALTH, HealthProcedures::component).onComplete(p));
    checks.register(
        "listener",
        backstop,
        p -> probe(Addresses.LISTENER_HEALTH, HealthProcedures::component).onComplete(p));
    checks.register(
        "replicator",
        backstop,
        p -> probe(Addresses.REPLICATOR_STATS, HealthProcedures::component).onComplete(p));
    checks.register(
        "cache-db",
        backstop,
        p -> probe(Addresses.CACHE_HEALTH, HealthProcedures::component).onComplete(p));
  }

  public HealthChecks checks() {
    return checks;
  }

  /** Runs every procedure. */
  public Future<CheckResult> check() {
    return checks.checkStatus();
  }

  private Future<Status> probe(String address, Function<HealthReply, Status> toStatus) {
    return bus.health()
        .check(address, timeoutMs)
        .map(toStatus)
        .otherwise(
            t -> Status.KO(new JsonObject().put("reason", t.getMessage()).put("address", address)));
  }

  /**
   * UP when the component says ok; data is its state and details (jobs are listed by /api/jobs).
   */
  static Status component(HealthReply r) {
    JsonObject data = summary(r);
    return r.ok() ? Status.OK(data) : Status.KO(data);
  }

  /**
   * PostgreSQL as the oplog verticle sees it: {@code details.postgres_reachable} when reported,
   * else its own health.
   */
  static Status postgres(HealthReply r) {
    return withCircuit(
        backend(r, "postgres_reachable", "postgres", "postgresql"), r, Breakers.POSTGRESQL);
  }

  /**
   * MongoDB as the listener sees it: {@code details.mongo_reachable} (or a mongo object) when
   * reported, else its own health.
   */
  static Status mongodb(HealthReply r) {
    return withCircuit(
        backend(r, "mongo_reachable", "mongodb_reachable", "mongo", "mongodb"),
        r,
        Breakers.MONGODB);
  }

  private static Status withCircuit(Status status, HealthReply r, String target) {
    Object circuits = r.details().getValue("circuits");
    if (circuits instanceof JsonObject c && c.getValue(target) instanceof JsonObject circuit) {
      status.getData().put("circuit", circuit);
    }
    return status;
  }

  /**
   * Every circuit breaker the checks report ({@code data.details.circuits} of a component check),
   * by target; when several components or nodes report one target, the worst state wins ({@code
   * open} over {@code half-open} over {@code closed}). Breakers of this process that no component
   * reported (e.g. the listener's {@code mongodb} breaker while its health does not carry it) are
   * added with {@code "via": "local"}.
   */
  public static JsonObject circuits(List<CheckResult> checks) {
    JsonObject out = new JsonObject();
    for (CheckResult c : checks) {
      JsonObject data = c.getData();
      Object details = data == null ? null : data.getValue("details");
      Object reported = details instanceof JsonObject d ? d.getValue("circuits") : null;
      if (!(reported instanceof JsonObject circuits)) {
        continue;
      }
      for (String target : circuits.fieldNames()) {
        if (circuits.getValue(target) instanceof JsonObject circuit) {
          JsonObject entry = circuit.copy().put("via", data.getValue("component", c.getId()));
          if (((JsonObject) details).getValue("node") != null) {
            entry.put("node", ((JsonObject) details).getValue("node"));
          }
          JsonObject previous = out.getJsonObject(target);
          if (previous == null || severity(entry) > severity(previous)) {
            out.put(target, entry);
          }
        }
      }
    }
    Breakers.health()
        .forEach(
            e -> {
              if (!out.containsKey(e.getKey()) && e.getValue() instanceof JsonObject local) {
                out.put(e.getKey(), local.copy().put("via", "local"));
              }
            });
    return out;
  }

  private static int severity(JsonObject circuit) {
    return switch (String.valueOf(circuit.getValue("state"))) {
      case "open" -> 2;
      case "half-open" -> 1;
      default -> 0;
    };
  }

  private static Status backend(HealthReply r, String... keys) {
    JsonObject data =
        new JsonObject()
            .put("via", r.component())
            .put("node", r.details().getValue("node"))
            .put("component_state", r.state());
    Boolean ok = null;
    for (String key : keys) {
      Object v = r.details().getValue(key);
      if (ok == null && v instanceof JsonObject o) {
        data.put("details", o);
        ok = o.getBoolean("ok", o.getBoolean("connected", o.getBoolean("reachable", null)));
      } else if (ok == null && v instanceof Boolean b) {
        ok = b;
      } else if (v instanceof String target) {
        data.put("target", target); // e.g. postgresql://user@host:port/db, never with a password
      }
    }
    if (ok == null) {
      ok = r.ok();
    }
    if (!ok && r.details().getValue("last_error") != null) {
      data.put("last_error", r.details().getValue("last_error"));
    }
    return ok ? Status.OK(data) : Status.KO(data);
  }

  static JsonObject summary(HealthReply r) {
    JsonObject details = r.details().copy();
    Object jobs = details.remove("jobs");
    JsonObject data =
        new JsonObject().put("component", r.component()).put("state", r.state()).put("ok", r.ok());
    data.put("details", details);
    if (jobs instanceof JsonArray arr) {
      data.put("jobs", arr.size());
    }
    return data;
  }
}
