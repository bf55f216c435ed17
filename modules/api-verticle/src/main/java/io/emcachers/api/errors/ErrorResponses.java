package io.emcachers.api.errors;

import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.validation.ValidationException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API's one error shape, {@code {"error":{"code":..,"message":..,"details":..}}}, and the
 * mapping from every failure (bus replies, bad input, vertx-web status failures) to it. Never puts
 * a stack trace in a response; unexpected exceptions are logged and answered as a bare 500.
 * Requests the HTTP/1 decoder cannot parse get the same shape ({@link #invalidRequest}).
 */
public final class ErrorResponses {

  private static final Logger LOG = LoggerFactory.getLogger(ErrorResponses.class);

  /**
   * The HTTP/1 decoder's limits (Vert.x defaults, which the API keeps), named in the 414 / 431
   * messages.
   */
  private static final int MAX_INITIAL_LINE = HttpServerOptions.DEFAULT_MAX_INITIAL_LINE_LENGTH;

  private static final int MAX_HEADERS = HttpServerOptions.DEFAULT_MAX_HEADER_SIZE;

  private ErrorResponses() {}

  /** The router-wide failure handler. */
  public static void handleFailure(RoutingContext ctx) {
    handleFailure(ctx, -1);
  }

  /**
   * The router's error handler for {@code status}. vertx-web also calls it for failures it raises
   * itself while matching routes, without setting the context's status code (e.g. 400 for a path
   * parameter it cannot decode): then {@code status} is the one the handler was registered for.
   */
  public static void handleFailure(RoutingContext ctx, int status) {
    int code = ctx.statusCode() != -1 ? ctx.statusCode() : status;
    ApiException error =
        ctx.failure() != null ? fromFailure(ctx.failure(), code) : fromStatus(code);
    if (ctx.response().headWritten()) {
      // A response is already under way (e.g. a timeout fired after the handler started writing).
      LOG.debug(
          "{} {} failed after the response started: {}",
          ctx.request().method(),
          ctx.request().path(),
          error.getMessage());
      if (!ctx.response().ended()) {
        ctx.response().reset();
      }
      return;
    }
    send(ctx, error);
  }

  /**
   * A failure raised by a vertx-web handler with a status (e.g. the CORS handler's 403): unless it
   * is one of ours, the status decides, so handler internals never turn into a 500.
   */
  static ApiException fromFailure(Throwable t, int status) {
    boolean known =
        t instanceof ApiException
            || t instanceof ReplyException
            || t instanceof HttpException
            || t instanceof DecodeException
            || t instanceof ValidationException;
    if (!known && status >= 400 && status != 500) {
      if (status == 403 && String.valueOf(t.getMessage()).startsWith("CORS")) {
        return new ApiException(403, "forbidden", "origin not allowed (api.cors_origins)");
      }
      return fromStatus(status);
    }
    return from(t, null);
  }

  /** Writes {@code error} as the response. */
  public static void send(RoutingContext ctx, ApiException error) {
    HttpServerResponse response = ctx.response();
    if (response.ended()) {
      return;
    }
    JsonObject body = new JsonObject().put("code", error.code()).put("message", error.getMessage());
    if (error.details() != null) {
      body.put("details", error.details());
    }
    response
        .setStatusCode(error.status())
        .putHeader("Content-Type", "application/json; charset=utf-8");
    if (error.status() == 401) {
      response.putHeader("WWW-Authenticate", "Bearer realm=\"emcachers\"");
    }
    response.end(new JsonObject().put("error", body).encode());
  }

  /**
   * An error response for a bare status (vertx-web's own 404/405/413/... and {@code
   * ctx.fail(int)}).
   */
  public static ApiException fromStatus(int status) {
    return switch (status) {
      case 400 -> new ApiException(400, "bad_request", "bad request");
      case 401 ->
          new ApiException(
              401, "unauthorized", "missing or invalid API key (send Authorization: Bearer KEY)");
      case 403 -> new ApiException(403, "forbidden", "forbidden");
      case 404 -> new ApiException(404, "not_found", "no such route");
      case 405 -> new ApiException(405, "method_not_allowed", "method not allowed on this route");
      case 408 ->
          new ApiException(
              408,
              "request_timeout",
              "the request did not arrive completely within api.request_timeout_ms");
      case 413 ->
          new ApiException(413, "too_large", "request body is larger than api.body_limit_bytes");
      case 414 -> new ApiException(414, "uri_too_long", "the request line is too long");
      case 415 -> new ApiException(415, "unsupported_media_type", "unsupported media type");
      case 417 ->
          new ApiException(
              417, "expectation_failed", "only the expectation 100-continue is supported");
      case 431 -> new ApiException(431, "headers_too_large", "the request headers are too large");
      case 503 -> new ApiException(503, "unavailable", "service unavailable");
      case 504 ->
          new ApiException(
              504, "timeout", "request did not complete within api.request_timeout_ms");
      default ->
          status >= 400 && status < 500
              ? new ApiException(status, "bad_request", "request failed with status " + status)
              : new ApiException(500, "internal", "internal error");
    };
  }

  /**
   * Maps any failure to an {@link ApiException}. {@code address} names the event-bus address the
   * failure came from, when it came from a bus request, for a precise message.
   */
  public static ApiException from(Throwable t, String address) {
    if (t instanceof ApiException api) {
      return api;
    }
    if (t instanceof ReplyException re) {
      return fromReply(re, address);
    }
    if (t instanceof HttpException he) {
      ApiException base = fromStatus(he.getStatusCode());
      if (he.getCause() instanceof DecodeException) {
        return malformedJson();
      }
      return base;
    }
    if (t instanceof DecodeException) {
      return malformedJson();
    }
    if (t instanceof ValidationException ve) {
      return new ApiException(
          400, "validation_failed", "invalid entity definition", ve.errorsJson());
    }
    if (t instanceof io.vertx.core.http.HttpClosedException) {
      // the client went away: nothing to answer, nothing wrong on this side
      LOG.debug("connection closed by the client{}", address == null ? "" : " on " + address);
      return new ApiException(400, "bad_request", "connection closed by the client");
    }
    LOG.error("unexpected failure{}", address == null ? "" : " on " + address, t);
    return new ApiException(500, "internal", "internal error");
  }

  /**
   * The HTTP server's handler for requests its HTTP/1 decoder could not parse (request line too
   * long, headers too large, malformed request line or headers, bad Content-Length): the one error
   * shape instead of a bare status, then the connection is closed (its remaining bytes cannot be
   * trusted).
   */
  public static void invalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult() == null ? null : request.decoderResult().cause();
    ApiException error;
    if (cause instanceof TooLongHttpLineException) {
      error =
          new ApiException(
              414,
              "uri_too_long",
              "the request line is longer than the server accepts ("
                  + MAX_INITIAL_LINE
                  + " bytes)");
    } else if (cause instanceof TooLongHttpHeaderException) {
      error =
          new ApiException(
              431,
              "headers_too_large",
              "the request headers are larger than the server accepts (" + MAX_HEADERS + " bytes)");
    } else {
      // The decoder's own text may name its exception classes: logged, not sent.
      LOG.debug(
          "malformed HTTP request from {}: {}",
          request.remoteAddress(),
          cause == null ? "?" : cause.toString());
      error =
          ApiException.badRequest(
              "malformed HTTP request: the request line, a header or the body framing (Content-Length, "
                  + "Transfer-Encoding) cannot be parsed");
    }
    HttpServerResponse response = request.response();
    JsonObject body = new JsonObject().put("code", error.code()).put("message", error.getMessage());
    response
        .setStatusCode(error.status())
        .putHeader("Content-Type", "application/json; charset=utf-8")
        .putHeader("Connection", "close")
        .end(new JsonObject().put("error", body).encode())
        .onComplete(ar -> request.connection().close());
  }

  public static ApiException malformedJson() {
    return new ApiException(400, "malformed_json", "request body is not valid JSON");
  }

  static ApiException fromReply(ReplyException re, String address) {
    String where = address == null ? "a component" : address;
    return switch (re.failureType()) {
      case NO_HANDLERS ->
          new ApiException(
              503,
              "unavailable",
              "no component answers on " + where + " (is its role running and ready?)");
      case TIMEOUT -> new ApiException(504, "timeout", where + " did not reply in time");
      case ERROR ->
          new ApiException(
              503, "unavailable", "could not deliver to " + where + ": " + re.getMessage());
      case RECIPIENT_FAILURE -> fromCode(re.failureCode(), re.getMessage());
    };
  }

  /** Maps an {@link ErrorCodes} failure code and its text. */
  public static ApiException fromCode(int code, String text) {
    String message = text == null || text.isBlank() ? ErrorCodes.name(code) : text;
    if (code == ErrorCodes.VALIDATION) {
      try {
        JsonObject json = new JsonObject(message);
        JsonArray errors = json.getJsonArray("errors", new JsonArray());
        return new ApiException(
            400, "validation_failed", json.getString("message", "validation failed"), errors);
      } catch (RuntimeException notJson) {
        return new ApiException(400, "validation_failed", message, new JsonArray());
      }
    }
    int status = ErrorCodes.httpStatus(code);
    if (status == 500) {
      LOG.warn("component failed with code {}: {}", code, message);
    }
    return new ApiException(status, ErrorCodes.name(code), message);
  }
}
