package io.emcachers.api.routes;

import io.emcachers.api.errors.ApiException;
import io.emcachers.api.errors.ErrorResponses;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;

/**
 * A router-wide handler before any route: a request with a {@code multipart/*} body is refused with
 * 415 {@code unsupported_media_type}. No route takes one (bodies are JSON, SockJS sends are text),
 * and vertx-web's body handler, with file uploads off, throws on a multipart request, which would
 * end as a 500.
 */
public final class MultipartRefusal implements Handler<RoutingContext> {

  @Override
  public void handle(RoutingContext ctx) {
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    if (type != null && type.trim().toLowerCase(Locale.ROOT).startsWith("multipart/")) {
      ErrorResponses.send(
          ctx,
          new ApiException(
              415,
              "unsupported_media_type",
              "multipart bodies are not accepted; send application/json"));
      return;
    }
    ctx.next();
  }
}
