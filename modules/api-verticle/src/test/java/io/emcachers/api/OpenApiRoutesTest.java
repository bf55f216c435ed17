package io.emcachers.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.api.routes.DashboardRoutes;
import io.emcachers.api.routes.DocsRoutes;
import io.emcachers.testsupport.Await;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The router's routes and openapi.yaml agree both ways: every route is documented, every documented
 * operation is routed.
 */
class OpenApiRoutesTest {

  static final Set<String> OPERATIONS =
      Set.of("get", "put", "post", "delete", "patch", "head", "options");

  static Vertx vertx;
  static ApiVerticle api;

  @BeforeAll
  static void start() throws Exception {
    vertx = TestVertx.withMetrics();
    api = ApiTestSupport.deployApi(vertx, ApiTestSupport.rootConfig(ApiTestSupport.KEY, false));
  }

  @AfterAll
  static void stop() throws Exception {
    Await.await(vertx.close());
  }

  /** path in OpenAPI form → methods (empty: any method, as for the SockJS sub-router). */
  static Map<String, Set<String>> routerOperations() {
    Map<String, Set<String>> ops = new TreeMap<>();
    for (Route route : api.router().getRoutes()) {
      String path = route.getPath();
      if (path == null) {
        continue; // router-wide handlers (CORS, failure handler) are not endpoints
      }
      if (DashboardRoutes.PATHS.contains(path)) {
        continue; // the dashboard page and its assets are not API endpoints
      }
      String openApiPath = path.replaceAll(":([A-Za-z0-9_]+)", "{$1}");
      if (openApiPath.endsWith("/*") || openApiPath.endsWith("/")) {
        openApiPath = openApiPath.replaceAll("/\\*?$", "") + "/{path}";
      }
      Set<String> methods = ops.computeIfAbsent(openApiPath, p -> new TreeSet<>());
      if (route.methods() != null) {
        for (HttpMethod m : route.methods()) {
          methods.add(m.name().toLowerCase(Locale.ROOT));
        }
      }
    }
    return ops;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Set<String>> documentOperations() {
    Map<String, Object> doc =
        new Yaml().load(new String(DocsRoutes.load(), StandardCharsets.UTF_8));
    assertTrue(String.valueOf(doc.get("openapi")).startsWith("3."));
    Map<String, Object> paths = (Map<String, Object>) doc.get("paths");
    Map<String, Set<String>> ops = new TreeMap<>();
    paths.forEach(
        (path, item) -> {
          Set<String> methods = new TreeSet<>();
          ((Map<String, Object>) item)
              .keySet().stream().filter(OPERATIONS::contains).forEach(methods::add);
          ops.put(path, methods);
        });
    return ops;
  }

  @Test
  void everyRouteIsDocumented() {
    Map<String, Set<String>> routes = routerOperations();
    Map<String, Set<String>> documented = documentOperations();
    assertFalse(routes.isEmpty());
    routes.forEach(
        (path, methods) -> {
          assertTrue(documented.containsKey(path), "route " + path + " is not in openapi.yaml");
          if (methods.isEmpty()) {
            assertFalse(
                documented.get(path).isEmpty(),
                path + " is routed for any method; document at least one");
          } else {
            for (String m : methods) {
              assertTrue(
                  documented.get(path).contains(m),
                  m.toUpperCase(Locale.ROOT) + " " + path + " is not in openapi.yaml");
            }
          }
        });
  }

  @Test
  void everyDocumentedOperationIsRouted() {
    Map<String, Set<String>> routes = routerOperations();
    documentOperations()
        .forEach(
            (path, methods) -> {
              assertTrue(
                  routes.containsKey(path),
                  "openapi.yaml documents " + path + " but no route serves it");
              Set<String> routed = routes.get(path);
              for (String m : methods) {
                assertTrue(
                    routed.isEmpty() || routed.contains(m),
                    "openapi.yaml documents "
                        + m.toUpperCase(Locale.ROOT)
                        + " "
                        + path
                        + " but no route serves it");
              }
            });
  }

  @Test
  void theRoutesAreTheExpectedOnes() {
    // A guard against the comparison passing vacuously (e.g. if getRoutes() changed shape).
    Map<String, Set<String>> routes = routerOperations();
    assertEquals(Set.of("get", "post"), routes.get("/api/entities"));
    assertEquals(Set.of("get", "put", "delete"), routes.get("/api/entities/{name}"));
    assertEquals(Set.of("post"), routes.get("/api/cache/{entity}/query"));
    assertEquals(Set.of(), routes.get("/eventbus/{path}"));
    assertEquals(Set.of("delete"), routes.get("/api/oplog/replicas/{node}"));
    assertEquals(Set.of("post"), routes.get("/api/entities/{name}/verify"));
    assertEquals(Set.of("get"), routes.get("/api/verifications/{id}"));
    assertEquals(Set.of("get"), routes.get("/api/cluster"));
    assertEquals(Set.of("get"), routes.get("/api/cache/{entity}/search"));
    assertEquals(Set.of("get"), routes.get("/api/changes/{entity}"));
    assertEquals(Set.of("get"), routes.get("/api/cache/{entity}/wait"));
    assertEquals(29, routes.size(), routes.keySet().toString());
  }
}
