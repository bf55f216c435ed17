package io.emcachers.api.routes;

import io.emcachers.api.auth.ApiKeyAuthHandler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * Creates every endpoint route with its standard handler chain, so no route forgets one: request
 * deadline ({@link RequestTimeoutHandler}: 408 for a body that does not arrive, 504 for a handler
 * that does not answer), the body handler (size limit) for routes that take a body, then the key
 * check. Only endpoints are routes with a path; the router's route list is what the OpenAPI
 * agreement test compares with the document.
 */
public final class RouteFactory {

  /** Who may call a route. */
  public enum Access {
    /** No key ever ({@code /health}). */
    OPEN,
    /** Key unless {@code api.open_reads}. */
    READ,
    /** Key always. */
    WRITE
  }

  private final Router router;
  private final ApiKeyAuthHandler auth;
  private final long bodyLimitBytes;
  private final long timeoutMs;

  public RouteFactory(Router router, ApiKeyAuthHandler auth, long bodyLimitBytes, long timeoutMs) {
    this.router = router;
    this.auth = auth;
    this.bodyLimitBytes = bodyLimitBytes;
    this.timeoutMs = timeoutMs;
  }

  public Router router() {
    return router;
  }

  public ApiKeyAuthHandler auth() {
    return auth;
  }

  /** A request/response route without a body. */
  public Route route(HttpMethod method, String path, Access access) {
    return build(method, path, access, false, true);
  }

  /** A request/response route whose JSON body is read (up to the body limit). */
  public Route withBody(HttpMethod method, String path, Access access) {
    return build(method, path, access, true, true);
  }

  /**
   * A long-lived route (WebSocket upgrade, SockJS): key check, and no deadline on the answer; the
   * request itself (headers and any body) must still arrive within the deadline, else 408. {@code
   * body}: whether a body handler reads the request body first (SockJS sends).
   */
  public Route stream(HttpMethod method, String path, Access access, boolean body) {
    return build(method, path, access, body, false);
  }

  private Route build(
      HttpMethod method, String path, Access access, boolean body, boolean answersInTime) {
    Route r = method == null ? router.route(path) : router.route(method, path);
    // 408 when a body the route waits for does not arrive; a stream always waits for its whole
    // request
    // (Vert.x reads a WebSocket handshake's body, if any, before upgrading)
    r.handler(new RequestTimeoutHandler(timeoutMs, body || !answersInTime, answersInTime));
    if (body) {
      // vertx-web orders body handlers before user handlers; the limit bounds what an
      // unauthenticated client can make the server read.
      r.handler(BodyHandler.create(false).setBodyLimit(bodyLimitBytes));
    }
    switch (access) {
      case READ -> r.handler(auth.reads());
      case WRITE -> r.handler(auth.writes());
      case OPEN -> {}
    }
    return r;
  }
}
