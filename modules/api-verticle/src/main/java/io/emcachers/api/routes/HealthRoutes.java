package io.emcachers.api.routes;

import io.emcachers.api.health.HealthProcedures;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.CheckResult;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.time.Instant;

/**
 * {@code GET /health} (open: 200 UP, or 503 with the failing parts) and {@code GET
 * /health/detailed} (every procedure with its status and details, and {@code circuits}: every
 * circuit breaker the components report, by target; 503 when any procedure is DOWN).
 */
public final class HealthRoutes {

  private final HealthProcedures procedures;
  private final String nodeId;
  private final Instant started = Instant.now();

  public HealthRoutes(HealthProcedures procedures, String nodeId) {
    this.procedures = procedures;
    this.nodeId = nodeId;
  }

  public void mount(RouteFactory routes) {
    routes.route(HttpMethod.GET, "/health", RouteFactory.Access.OPEN).handler(this::liveness);
    routes
        .route(HttpMethod.GET, "/health/detailed", RouteFactory.Access.READ)
        .handler(this::detailed);
  }

  private void liveness(RoutingContext ctx) {
    procedures
        .check()
        .onComplete(
            ar -> {
              if (ar.failed()) {
                Http.json(
                    ctx,
                    503,
                    new JsonObject()
                        .put("status", "DOWN")
                        .put(
                            "failing",
                            new JsonObject()
                                .put("health", String.valueOf(ar.cause().getMessage()))));
                return;
              }
              CheckResult result = ar.result();
              if (Boolean.TRUE.equals(result.getUp())) {
                Http.json(ctx, 200, new JsonObject().put("status", "UP"));
                return;
              }
              JsonObject failing = new JsonObject();
              for (CheckResult c : result.getChecks()) {
                if (!Boolean.TRUE.equals(c.getUp())) {
                  failing.put(c.getId(), reason(c));
                }
              }
              Http.json(ctx, 503, new JsonObject().put("status", "DOWN").put("failing", failing));
            });
  }

  private void detailed(RoutingContext ctx) {
    procedures
        .check()
        .onComplete(
            ar -> {
              if (ar.failed()) {
                Http.fail(ctx, ar.cause());
                return;
              }
              CheckResult result = ar.result();
              boolean up = Boolean.TRUE.equals(result.getUp());
              JsonArray checks = new JsonArray();
              for (CheckResult c : result.getChecks()) {
                JsonObject check =
                    new JsonObject()
                        .put("id", c.getId())
                        .put("status", Boolean.TRUE.equals(c.getUp()) ? "UP" : "DOWN");
                JsonObject data = c.getData();
                if (data != null) {
                  check.put("data", data);
                }
                if (!Boolean.TRUE.equals(c.getUp())) {
                  check.put("reason", reason(c));
                }
                checks.add(check);
              }
              JsonObject api =
                  new JsonObject()
                      .put("node", nodeId)
                      .put("started_at", started.toString())
                      .put("uptime_ms", Duration.between(started, Instant.now()).toMillis());
              Http.json(
                  ctx,
                  up ? 200 : 503,
                  new JsonObject()
                      .put("status", up ? "UP" : "DOWN")
                      .put("checks", checks)
                      .put("circuits", HealthProcedures.circuits(result.getChecks()))
                      .put("api", api));
            });
  }

  /** Why a check is DOWN, in one line. */
  static String reason(CheckResult c) {
    JsonObject data = c.getData();
    if (data != null) {
      if (data.getValue("reason") != null) {
        return String.valueOf(data.getValue("reason"));
      }
      if (data.getValue("cause") != null) {
        return "procedure failed: " + data.getValue("cause");
      }
      if (data.getValue("last_error") != null) {
        return String.valueOf(data.getValue("last_error"));
      }
      JsonObject details = data.getJsonObject("details");
      if (details != null && details.getValue("last_error") != null) {
        return String.valueOf(details.getValue("last_error"));
      }
      if (data.getValue("state") != null) {
        return "state " + data.getValue("state");
      }
    }
    if (c.getFailure() != null) {
      return String.valueOf(c.getFailure().getMessage());
    }
    return "down";
  }
}
