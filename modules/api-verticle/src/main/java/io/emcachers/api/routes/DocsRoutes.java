package io.emcachers.api.routes;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET /openapi.yaml}: the OpenAPI 3 document of every route
 * (src/main/resources/openapi.yaml).
 */
public final class DocsRoutes {

  public static final String RESOURCE = "openapi.yaml";

  private final Buffer document;

  public DocsRoutes() {
    this.document = Buffer.buffer(load());
  }

  /** The document's text, from the classpath. */
  public static byte[] load() {
    try (InputStream in = DocsRoutes.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the classpath");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public void mount(RouteFactory routes) {
    routes
        .route(HttpMethod.GET, "/openapi.yaml", RouteFactory.Access.OPEN)
        .handler(
            ctx ->
                ctx.response()
                    .putHeader("Content-Type", "application/yaml; charset=utf-8")
                    .end(document));
  }
}
