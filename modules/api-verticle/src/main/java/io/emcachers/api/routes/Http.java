package io.emcachers.api.routes;

import io.emcachers.api.errors.ApiException;
import io.emcachers.api.errors.ErrorResponses;
import io.emcachers.core.validation.EntityValidator;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RequestBody;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Function;

/** Small helpers shared by the route classes: JSON replies, body and parameter parsing. */
public final class Http {

  private Http() {}

  /**
   * Runs {@code handler} and writes its result with {@code status}; failures go to the error shape.
   */
  public static void respond(
      RoutingContext ctx, int status, Function<RoutingContext, Future<JsonObject>> handler) {
    Future<JsonObject> f;
    try {
      f = handler.apply(ctx);
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    f.onComplete(
        ar -> {
          if (ar.succeeded()) {
            json(ctx, status, ar.result());
          } else {
            fail(ctx, ar.cause());
          }
        });
  }

  public static void json(RoutingContext ctx, int status, JsonObject body) {
    if (ctx.response().ended()) {
      return;
    }
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json; charset=utf-8")
        .end(body.encode());
  }

  public static void fail(RoutingContext ctx, Throwable t) {
    if (ctx.response().ended()) {
      return;
    }
    ErrorResponses.send(ctx, ErrorResponses.from(t, null));
  }

  /** The request body as a JSON object: 400 malformed_json when it is missing or not an object. */
  public static JsonObject bodyObject(RoutingContext ctx) {
    RequestBody body = ctx.body();
    if (body == null || !body.available() || body.length() == 0) {
      throw new ApiException(400, "malformed_json", "request body must be a JSON object");
    }
    Object value;
    try {
      value = body.asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      throw new ApiException(400, "malformed_json", "request body must be a JSON object");
    }
    if (value == null) {
      throw new ApiException(400, "malformed_json", "request body must be a JSON object");
    }
    return (JsonObject) value;
  }

  /** A path or query parameter that names an entity, validated before any use. */
  public static String entityName(String field, String value) {
    if (!EntityValidator.isValidName(value)) {
      throw ApiException.invalidField(
          field,
          "must be an entity name matching "
              + EntityValidator.NAME.pattern()
              + ", got "
              + quote(value));
    }
    return value;
  }

  /** An optional boolean query parameter: {@code true} or {@code false}, anything else is a 400. */
  public static boolean boolParam(RoutingContext ctx, String name, boolean def) {
    String v = ctx.request().getParam(name);
    if (v == null || v.isEmpty()) {
      return def;
    }
    if ("true".equalsIgnoreCase(v.trim()) || "false".equalsIgnoreCase(v.trim())) {
      return "true".equalsIgnoreCase(v.trim());
    }
    throw ApiException.invalidField(name, "must be true or false, got " + quote(v));
  }

  /** An optional non-negative long query parameter. */
  public static long longParam(RoutingContext ctx, String name, long def, long min, long max) {
    String v = ctx.request().getParam(name);
    if (v == null || v.isEmpty()) {
      return def;
    }
    long n;
    try {
      n = Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw ApiException.invalidField(name, "must be an integer, got " + quote(v));
    }
    if (n < min || n > max) {
      throw ApiException.invalidField(
          name, "must be between " + min + " and " + max + ", got " + n);
    }
    return n;
  }

  static String quote(String s) {
    if (s == null) {
      return "nothing";
    }
    String cut = s.length() > 80 ? s.substring(0, 80) + "..." : s;
    return "\"" + cut.replace("\"", "\\\"") + "\"";
  }
}
