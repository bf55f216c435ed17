package io.emcachers.api.auth;

import io.emcachers.api.errors.ApiException;
import io.emcachers.api.errors.ErrorResponses;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * {@code Authorization: Bearer KEY} checks. Writes always need the key; reads need it unless {@code
 * api.open_reads}. Without a configured key, requests that need one are refused with 403 (nothing
 * to authenticate against). The presented key and the configured key are compared as SHA-256
 * digests with {@link MessageDigest#isEqual}, so neither content nor length leaks through timing.
 *
 * <p>Browsers cannot set headers on a WebSocket handshake, so a WebSocket upgrade without an {@code
 * Authorization} header may carry the key as a subprotocol instead: {@code Sec-WebSocket-Protocol:
 * emc.status, emc.bearer.BASE64URL(KEY)} (the key base64url-encoded without padding, so it is a
 * valid protocol token). The server selects {@link #WEBSOCKET_PROTOCOL}, never the key entry.
 */
public final class ApiKeyAuthHandler {

  private static final String BEARER = "bearer ";

  /** The subprotocol the status feed selects; offered next to the key entry by browsers. */
  public static final String WEBSOCKET_PROTOCOL = "emc.status";

  /** Prefix of the subprotocol entry that carries the key, base64url-encoded. */
  public static final String WEBSOCKET_KEY_PREFIX = "emc.bearer.";

  private final byte[] keyDigest;
  private final boolean openReads;

  public ApiKeyAuthHandler(String key, boolean openReads) {
    this.keyDigest = key == null ? null : sha256(key);
    this.openReads = openReads;
  }

  /** Handler for routes that change state. */
  public Handler<RoutingContext> writes() {
    return ctx -> check(ctx, true);
  }

  /** Handler for routes that only read. */
  public Handler<RoutingContext> reads() {
    return ctx -> {
      if (openReads) {
        ctx.next();
      } else {
        check(ctx, false);
      }
    };
  }

  /** Whether {@code authorization} (a header value, may be null) carries the configured key. */
  public boolean authorized(String authorization) {
    if (keyDigest == null
        || authorization == null
        || authorization.length() <= BEARER.length()
        || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return false;
    }
    String presented = authorization.substring(BEARER.length()).trim();
    return MessageDigest.isEqual(keyDigest, sha256(presented));
  }

  /**
   * The key of a WebSocket upgrade's {@code emc.bearer.} subprotocol entry as an {@code
   * Authorization} value, or null (not an upgrade, no such entry, not base64url).
   */
  static String webSocketAuthorization(RoutingContext ctx) {
    String upgrade = ctx.request().getHeader("Upgrade");
    String protocols = ctx.request().getHeader("Sec-WebSocket-Protocol");
    if (upgrade == null || protocols == null || !upgrade.equalsIgnoreCase("websocket")) {
      return null;
    }
    for (String p : protocols.split(",")) {
      String entry = p.trim();
      if (entry.startsWith(WEBSOCKET_KEY_PREFIX)) {
        try {
          byte[] key =
              Base64.getUrlDecoder().decode(entry.substring(WEBSOCKET_KEY_PREFIX.length()));
          return "Bearer " + new String(key, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          return "Bearer "; // present but not decodable: an invalid key, not a missing one
        }
      }
    }
    return null;
  }

  private void check(RoutingContext ctx, boolean write) {
    if (keyDigest == null) {
      ErrorResponses.send(
          ctx,
          new ApiException(
              403,
              "forbidden",
              "no API key is configured (set api.key or EMC_API_KEY); "
                  + (write ? "writes are" : "reads without api.open_reads are")
                  + " refused"));
      return;
    }
    String authorization = ctx.request().getHeader("Authorization");
    if (authorization == null) {
      authorization = webSocketAuthorization(ctx);
    }
    if (!authorized(authorization)) {
      ErrorResponses.send(
          ctx,
          new ApiException(
              401,
              "unauthorized",
              authorization == null
                  ? "missing API key: send Authorization: Bearer KEY"
                  : "invalid API key"));
      return;
    }
    ctx.next();
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
