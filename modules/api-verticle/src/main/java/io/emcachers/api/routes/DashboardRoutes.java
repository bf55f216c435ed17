package io.emcachers.api.routes;

import io.emcachers.api.errors.ApiException;
import io.emcachers.api.errors.ErrorResponses;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The operator dashboard: {@code GET /} is the page (classpath {@code webroot/index.html}) and
 * {@code GET /dashboard/*} its scripts and styles ({@code webroot/dashboard/}, vertx-web's {@link
 * StaticHandler}). Both are open: the page holds no data, and every number it shows comes from the
 * API with the key the operator enters (kept in the tab's {@code sessionStorage}). An unknown asset
 * falls through to the API's JSON 404. These routes are not API endpoints, so the OpenAPI document
 * leaves them out ({@link #PATHS}).
 */
public final class DashboardRoutes {

  /** Classpath folder of the page. */
  public static final String WEBROOT = "webroot";

  /** The page. */
  public static final String INDEX = WEBROOT + "/index.html";

  /** URL prefix of the page's assets. */
  public static final String ASSETS = "/dashboard/";

  /** Router paths of these routes (as {@code Route.getPath()} reports them). */
  public static final Set<String> PATHS = Set.of("/", ASSETS);

  /**
   * Same-origin everything; the page builds its DOM from text, never from markup, so no inline
   * script or style is needed. {@code connect-src 'self'} covers the same-origin WebSocket.
   */
  static final String CONTENT_SECURITY_POLICY =
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  /** What an asset name may look like. */
  static final Pattern ASSET_NAME = Pattern.compile("^[a-z][a-z0-9-]{0,63}\\.(?:js|css)$");

  private final Buffer index;

  public DashboardRoutes() {
    this.index = Buffer.buffer(load(INDEX));
  }

  static byte[] load(String resource) {
    try (InputStream in = DashboardRoutes.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is missing from the classpath");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public void mount(RouteFactory routes) {
    routes
        .route(HttpMethod.GET, "/", RouteFactory.Access.OPEN)
        .handler(
            ctx -> {
              secure(ctx.response())
                  .putHeader("Content-Type", "text/html; charset=utf-8")
                  .putHeader("Cache-Control", "no-cache")
                  .end(index);
            });
    routes
        .route(HttpMethod.GET, ASSETS + "*", RouteFactory.Access.OPEN)
        .handler(DashboardRoutes::secureAsset)
        .handler(
            StaticHandler.create(
                    WEBROOT + "/dashboard") // no trailing slash: inside a jar "a//b" is not found
                .setDirectoryListing(false)
                .setIncludeHidden(false)
                // revalidate every load: a new jar must not meet scripts a browser cached
                .setCachingEnabled(true)
                .setMaxAgeSeconds(0)
                .setDefaultContentEncoding("UTF-8"));
  }

  /**
   * The assets are one flat folder of plain names ({@code app.js}): anything else (a dot-segment,
   * an escaped separator, a sub-folder) is refused here with the JSON 404, before the static
   * handler sees it.
   */
  private static void secureAsset(RoutingContext ctx) {
    String name = ctx.normalizedPath().substring(ASSETS.length());
    if (!ASSET_NAME.matcher(name).matches()) {
      ErrorResponses.send(ctx, ApiException.notFound("no such dashboard file"));
      return;
    }
    secure(ctx.response());
    ctx.next();
  }

  private static HttpServerResponse secure(HttpServerResponse response) {
    return response
        .putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader("X-Frame-Options", "DENY");
  }
}
