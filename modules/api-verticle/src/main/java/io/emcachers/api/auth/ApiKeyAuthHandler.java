package io.emcachers.api.auth;

import io.emcachers.api.errors.ApiException;
import io.emcachers.api.errors.ErrorResponses;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * {@code Authorization: Bearer KEY} checks. Writes always need the key; reads need it unless {@code
 * api.open_reads}. Without a configured key, requests that need one are refused with 403 (nothing
 * to authenticate against). The presented key and the configured key are compared as SHA-256
 * digests with {@link MessageDigest#isEqual}, so neither content nor length leaks through timing.
 */
public final class ApiKeyAuthHandler {

  private static final String BEARER = "bearer ";

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
    if (!authorized(ctx.request().getHeader("Authorization"))) {
      ErrorResponses.send(
          ctx,
          new ApiException(
              401,
              "unauthorized",
              ctx.request().getHeader("Authorization") == null
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
