package io.emcachers.api.routes;

import io.emcachers.api.errors.ApiException;
import io.emcachers.api.errors.ErrorResponses;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The router's first handler: refuses a request whose path or query string is not validly
 * percent-encoded, with 400 {@code bad_request}, before any route matches it. Without it vertx-web
 * fails while decoding path parameters (or the query, on the first {@code getParam}) and the
 * request ends as a 500.
 *
 * <p>Valid means: only printable ASCII characters (0x21..0x7E) appear unescaped; every {@code %}
 * starts an escape of two hex digits; and the bytes the escapes stand for, together with the
 * literal characters, decode as UTF-8 (no truncated sequences, overlong forms, surrogates or code
 * points above U+10FFFF). Path parameters of such a request are then decoded exactly once by the
 * router (vertx-web's normalisation only turns escaped unreserved characters back into themselves,
 * and keeps {@code %2F} and {@code %25} escaped), so handlers see the client's text unchanged.
 */
public final class RequestTargetCheck implements Handler<RoutingContext> {

  /** Longest piece of the client's text quoted back in a message. */
  private static final int QUOTE_MAX = 12;

  @Override
  public void handle(RoutingContext ctx) {
    ApiException bad;
    try {
      bad = problem(ctx.request().path(), ctx.request().query());
    } catch (RuntimeException unparsable) {
      bad = ApiException.badRequest("the request target cannot be parsed");
    }
    if (bad != null) {
      ErrorResponses.send(ctx, bad);
      return;
    }
    ctx.next();
  }

  /**
   * The 400 for a badly encoded path or query string (either may be null), or null when both are
   * fine.
   */
  public static ApiException problem(String path, String query) {
    String why = path == null ? null : encodingProblem(path);
    if (why != null) {
      return ApiException.badRequest("request path has an invalid percent-encoding: " + why);
    }
    why = query == null ? null : encodingProblem(query);
    if (why != null) {
      return ApiException.badRequest(
          "request query string has an invalid percent-encoding: " + why);
    }
    return null;
  }

  /**
   * What is wrong with the percent-encoding of {@code s}, or null when it is valid (see the class
   * comment).
   */
  public static String encodingProblem(String s) {
    ByteBuffer bytes = null; // only built when there are escapes: plain ASCII is UTF-8
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length() || hex(s.charAt(i + 1)) < 0 || hex(s.charAt(i + 2)) < 0) {
          return "\""
              + printable(s.substring(i, Math.min(s.length(), i + 3)))
              + "\" at offset "
              + i
              + " (a % must start an escape of two hex digits; write %25 for % itself)";
        }
        if (bytes == null) {
          bytes = ByteBuffer.allocate(s.length());
          for (int j = 0; j < i; j++) {
            bytes.put((byte) s.charAt(j));
          }
        }
        bytes.put((byte) (hex(s.charAt(i + 1)) * 16 + hex(s.charAt(i + 2))));
        i += 2;
      } else if (c < 0x21 || c > 0x7e) {
        return String.format(
            "byte 0x%02X at offset %d must be percent-encoded (only printable ASCII may appear unescaped)",
            (int) c & 0xff, i);
      } else if (bytes != null) {
        bytes.put((byte) c);
      }
    }
    if (bytes == null) {
      return null;
    }
    bytes.flip();
    try {
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(bytes);
    } catch (CharacterCodingException e) {
      return "the escaped bytes are not UTF-8";
    }
    return null;
  }

  private static int hex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  private static String printable(String s) {
    StringBuilder sb = new StringBuilder();
    for (char c : s.toCharArray()) {
      sb.append(
          c < 0x21 || c > 0x7e || c == '"' || c == '\\'
              ? String.format("\\x%02X", (int) c & 0xff)
              : String.valueOf(c));
      if (sb.length() >= QUOTE_MAX) {
        break;
      }
    }
    return sb.toString();
  }
}
