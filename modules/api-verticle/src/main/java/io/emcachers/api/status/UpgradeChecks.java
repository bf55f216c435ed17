package io.emcachers.api.status;

import io.emcachers.api.errors.ApiException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.RequestBody;
import java.util.Locale;

/**
 * Checks made before a request reaches Vert.x's WebSocket handshake or the SockJS handler, both of
 * which answer a client's mistake with a bare status (and SockJS with a 500 for some): here it gets
 * the API's error shape and a 4xx.
 */
public final class UpgradeChecks {

  /** The WebSocket version of RFC 6455, the only one accepted. */
  public static final String WEBSOCKET_VERSION = "13";

  private UpgradeChecks() {}

  /**
   * Why {@code request} is not a WebSocket opening handshake the server can accept, or null: 405
   * unless GET, 400 without {@code Upgrade: websocket} / {@code Connection: Upgrade} / {@code
   * Sec-WebSocket-Key}, 426 for a version other than 13 (the answer names 13 in {@code
   * Sec-WebSocket-Version}, as RFC 6455 asks).
   */
  public static ApiException webSocketProblem(HttpServerRequest request) {
    if (request.method() != HttpMethod.GET) {
      return new ApiException(405, "method_not_allowed", "a WebSocket opening handshake is a GET");
    }
    if (!contains(request.getHeader(HttpHeaders.UPGRADE), "websocket")
        || !contains(request.getHeader(HttpHeaders.CONNECTION), "upgrade")) {
      return ApiException.badRequest(
          "a WebSocket upgrade is required (Upgrade: websocket, Connection: Upgrade)");
    }
    String key = request.getHeader("Sec-WebSocket-Key");
    if (key == null || key.isBlank()) {
      return ApiException.badRequest(
          "the WebSocket opening handshake needs a Sec-WebSocket-Key header");
    }
    if (!WEBSOCKET_VERSION.equals(trim(request.getHeader("Sec-WebSocket-Version")))) {
      return new ApiException(
          426,
          "upgrade_required",
          "only WebSocket version " + WEBSOCKET_VERSION + " (RFC 6455) is supported");
    }
    return null;
  }

  /**
   * Why a SockJS send body ({@code xhr_send}) is unusable, or null: it must be a JSON array of
   * strings (what SockJS clients send), or one JSON string. SockJS itself answers 500 to an empty
   * or broken payload.
   */
  static String sockJsPayloadProblem(RequestBody body) {
    Buffer buffer = body == null || !body.available() ? null : body.buffer();
    if (buffer == null || buffer.length() == 0) {
      return "a SockJS send needs a payload: a JSON array of strings";
    }
    Object value;
    try {
      value = Json.decodeValue(buffer);
    } catch (DecodeException | IllegalArgumentException e) {
      return "a SockJS send payload must be a JSON array of strings (it is not valid JSON)";
    }
    if (value instanceof String) {
      return null;
    }
    if (value instanceof JsonArray arr && arr.stream().allMatch(o -> o instanceof String)) {
      return null;
    }
    return "a SockJS send payload must be a JSON array of strings";
  }

  private static boolean contains(String header, String token) {
    return header != null && header.toLowerCase(Locale.ROOT).contains(token);
  }

  private static String trim(String s) {
    return s == null ? null : s.trim();
  }
}
