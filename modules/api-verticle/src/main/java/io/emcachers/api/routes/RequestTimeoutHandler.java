package io.emcachers.api.routes;

import io.emcachers.api.errors.ApiException;
import io.emcachers.api.errors.ErrorResponses;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.PlatformHandler;

/**
 * The request deadline ({@code api.request_timeout_ms}), first handler of every route. When it
 * passes before the response started:
 *
 * <ul>
 *   <li>the request's body has not arrived completely (a route that reads it: fewer bytes than its
 *       {@code Content-Length}, or a chunked body without its last chunk) → <b>408</b> {@code
 *       request_timeout}, and the connection is closed, since the rest of the body may still come
 *       and could not be told from a next request;
 *   <li>otherwise, on a request/response route → <b>504</b> {@code timeout}: the server side (a
 *       component on the bus) was too slow. Bus requests give up at 90 % of the deadline, so that
 *       504 usually comes from {@code BusClient} and names the component; this is the backstop.
 *   <li>a long-lived route (WebSocket, SockJS) whose request is complete is left alone: its
 *       response may legitimately last.
 * </ul>
 *
 * A {@link PlatformHandler}, so vertx-web keeps it ahead of the body handler on its route.
 */
public final class RequestTimeoutHandler implements PlatformHandler {

  private final long timeoutMs;
  private final boolean readsBody;
  private final boolean answersInTime;

  /**
   * @param timeoutMs the deadline
   * @param readsBody whether the route reads the request body (a body that does not arrive is a
   *     408)
   * @param answersInTime whether the route must have answered by the deadline (a 504 otherwise);
   *     false for streams
   */
  public RequestTimeoutHandler(long timeoutMs, boolean readsBody, boolean answersInTime) {
    this.timeoutMs = timeoutMs;
    this.readsBody = readsBody;
    this.answersInTime = answersInTime;
  }

  @Override
  public void handle(RoutingContext ctx) {
    long timer = ctx.vertx().setTimer(timeoutMs, t -> expired(ctx));
    ctx.addEndHandler(v -> ctx.vertx().cancelTimer(timer));
    ctx.next();
  }

  private void expired(RoutingContext ctx) {
    if (ctx.response().ended() || ctx.response().closed() || ctx.response().headWritten()) {
      return;
    }
    HttpServerRequest request = ctx.request();
    if (readsBody && !request.isEnded()) {
      ApiException error =
          new ApiException(
              408,
              "request_timeout",
              "the request body did not arrive completely within api.request_timeout_ms ("
                  + timeoutMs
                  + " ms)");
      if (request.version() != HttpVersion.HTTP_2) {
        // The rest of the body may still come: the connection cannot carry another request.
        ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
        ctx.addEndHandler(ar -> request.connection().close());
      }
      ErrorResponses.send(ctx, error);
      return;
    }
    if (answersInTime) {
      ctx.fail(504);
    }
  }
}
