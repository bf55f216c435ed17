package io.emcachers.api;

import static io.emcachers.api.RawHttp.latin1;
import static io.emcachers.api.RawHttp.rawUtf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.EntityListReply;
import io.emcachers.core.messages.EntityListRequest;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.testsupport.Await;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.net.RFC3986;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Nothing a client sends may produce a 5xx. A battery of hostile requests over raw TCP (bad
 * percent-escapes in every path parameter, bad query escapes, invalid JSON, wrong content types,
 * huge headers, raw non-UTF-8 bytes, unknown methods, bodies shorter than their Content-Length,
 * dot-segments, double slashes), then a few hundred seeded random ones, against every route of the
 * router. Every answer must be below 500, and every 4xx must carry the one JSON error shape; a 2xx
 * is accepted only from routes that legitimately succeed.
 *
 * <p>The components are stand-ins on the real bus that answer like healthy ones (health OK, an
 * empty entity list, "not found" for any entity), so a 5xx could only come from the API's handling
 * of the request itself.
 */
class HostileRequestsTest {

  static final long SEED = 20260427L;
  static final int RANDOM_REQUESTS = 300;
  static final int TIMEOUT_MS = 1500;

  /** How long a client waits for any one answer: beyond the request timeout. */
  static final int CLIENT_DEADLINE_MS = 15_000;

  /** A SockJS send path: to a session SockJS does not know it answers 404 itself, with no body. */
  static final java.util.regex.Pattern SOCKJS_SEND =
      java.util.regex.Pattern.compile("^/eventbus/[^/.]+/[^/.]+/xhr_send$");

  /**
   * Marks the answer Vert.x's HTTP/1 layer gives an unsupported HTTP version (501, no body): not
   * the API's.
   */
  static final String UNSUPPORTED_VERSION = "(vertx: unsupported HTTP version)";

  static Vertx vertx;
  static ApiVerticle api;
  static int port;

  /** Route templates and the methods they serve; {@code *} for the SockJS sub-router. */
  static final List<String[]> TEMPLATES =
      List.of(
          new String[] {"GET", "/health"},
          new String[] {"GET", "/health/detailed"},
          new String[] {"GET", "/api/entities"},
          new String[] {"POST", "/api/entities"},
          new String[] {"GET", "/api/entities/:name"},
          new String[] {"PUT", "/api/entities/:name"},
          new String[] {"DELETE", "/api/entities/:name"},
          new String[] {"GET", "/api/oplogs/:entity"},
          new String[] {"POST", "/api/oplogs/batch"},
          new String[] {"POST", "/api/oplog/compact"},
          new String[] {"GET", "/api/oplog/stats"},
          new String[] {"GET", "/api/oplog/replicas"},
          new String[] {"DELETE", "/api/oplog/replicas/:node"},
          new String[] {"GET", "/api/replication/stats"},
          new String[] {"POST", "/api/replication/recreate/:entity"},
          new String[] {"GET", "/api/cluster"},
          new String[] {"POST", "/api/entities/:name/verify"},
          new String[] {"GET", "/api/verifications"},
          new String[] {"GET", "/api/verifications/:id"},
          new String[] {"GET", "/api/system/stats"},
          new String[] {"GET", "/api/jobs"},
          new String[] {"GET", "/api/cache/:entity/docs/:id"},
          new String[] {"GET", "/api/cache/:entity/docs"},
          new String[] {"POST", "/api/cache/:entity/query"},
          new String[] {"GET", "/api/cache/:entity/search"},
          new String[] {"GET", "/metrics"},
          new String[] {"GET", "/openapi.yaml"},
          new String[] {"GET", "/ws/status"},
          new String[] {"POST", "/eventbus/*"},
          new String[] {"GET", "/"},
          new String[] {"GET", "/dashboard/*"},
          new String[] {"GET", "/api/changes/:entity"},
          new String[] {"GET", "/ws/changes"},
          new String[] {"GET", "/api/cache/:entity/wait"});

  static final Set<String> BODY_ROUTES =
      Set.of(
          "POST /api/entities",
          "PUT /api/entities/:name",
          "POST /api/oplogs/batch",
          "POST /api/cache/:entity/query",
          "POST /api/entities/:name/verify");

  /**
   * GET routes that answer 2xx when the components are healthy (paths as the router normalises
   * them).
   */
  static final Set<String> SUCCEEDING =
      Set.of(
          "/health",
          "/health/detailed",
          "/api/entities",
          "/api/replication/stats",
          "/api/cluster",
          "/api/system/stats",
          "/api/jobs",
          "/api/verifications",
          "/metrics",
          "/openapi.yaml");

  /** Malformed percent-escapes, and escapes that do not decode to UTF-8. */
  static final List<String> BAD_ESCAPES =
      List.of(
          "%",
          "%z",
          "%zz",
          "%2",
          "a%",
          "%%",
          "%%41",
          "%G1",
          "%+1",
          "%-1",
          "%u0041",
          "%2%41",
          "x%0",
          "%C3",
          "%FF",
          "%80",
          "%C0%AF",
          "%C3%28",
          "%ED%A0%80",
          "%E2%82",
          "%F4%90%80%80",
          "%F8%88%80%80%80");

  /** Raw bytes that are not allowed unescaped in a request target. */
  static final List<String> RAW_BYTES =
      List.of("\u00ff\u00fe", rawUtf8("é"), rawUtf8("日本"), "\u00e9", "a\u0000b", "a\u007fb");

  /**
   * Path-parameter values that try to leave their segment or are otherwise odd, but are
   * well-formed.
   */
  static final List<String> TRAVERSAL =
      List.of(
          "..%2f..",
          "..%2F..%2F..%2Fetc%2Fpasswd",
          "%2e%2e",
          "%2E%2E%2F%2E%2E",
          "..",
          ".",
          "...",
          "%2e",
          "..%5c..",
          "%5C",
          "a%00b",
          "%0d%0aX-Injected:%201",
          "%3Cscript%3E",
          "%22",
          "%27",
          "a;b",
          "a,b",
          "*",
          "~",
          "%7E",
          "a%2Fb",
          "%252F",
          "x".repeat(1100),
          "%20",
          "+",
          "Users",
          "1abc",
          "%C3%A9");

  static final List<String> BAD_QUERIES =
      List.of(
          "after=%",
          "limit=%zz",
          "%=1",
          "a=%C3",
          "entity=%G0",
          "x=%ED%A0%80",
          "include_deleted=%",
          "after=1&after=%2",
          "a=%FF%FE");

  static final List<String> ODD_QUERIES =
      List.of(
          "after=-1",
          "after=abc",
          "limit=0",
          "limit=99999999999999999999",
          "limit=1e3",
          "after=%2B5",
          "include_deleted=maybe",
          "entity=x%3Bdrop",
          "a=b=c",
          "&&&",
          "=",
          "limit=",
          "after=+1",
          "a=%20",
          "x=" + "y".repeat(2000));

  static final List<String> UNKNOWN_METHODS =
      List.of("FOO", "BREW", "PROPFIND", "PATCH", "TRACE", "M-SEARCH", "get", "OPTIONS", "CONNECT");

  static final List<String> BAD_BODIES =
      List.of(
          "{",
          "}",
          "nul",
          "[1,",
          "{\"a\":}",
          "\"str\"",
          "123",
          "null",
          "[]",
          "true",
          "{\"name\":\"\\ud800\"}",
          "{\"a\":1}garbage",
          "{\"a\":1,\"a\":2}",
          "{'a':1}",
          "{\"sql\":123}",
          "{\"sql\":\"SELECT 1\",\"params\":\"x\"}",
          "{\"entities\":\"x\"}",
          "{\"entities\":[1,{},null]}",
          "{\"after\":1e999,\"limit\":-5}",
          "{\"limit\":99999999999999999999999}",
          "{\"max_rows\":1.5,\"sql\":\"SELECT 1\"}",
          "{\"shape\":null}",
          "{\"name\":\"users\",\"shape\":{\"columns\":[{}]}}",
          "[".repeat(2000),
          "{\"a\":" + "[".repeat(1500) + "1" + "]".repeat(1500) + "}",
          "1".repeat(3000),
          "\u00ff\u00fe\u0000{",
          "\u00fe\u00ff\u0000{\u0000}",
          "\u00ef\u00bb\u00bf{}",
          "{\"name\":\"" + "\u00c3" + "\"}",
          "\u0000");

  static final List<String> CONTENT_TYPES =
      List.of(
          "application/json",
          "text/plain",
          "application/x-www-form-urlencoded",
          "multipart/form-data; boundary=xyz",
          "multipart/form-data",
          "application/json; charset=latin1",
          "application/xml",
          "*/*",
          "",
          "application/json; charset=\u00ff",
          "garbage;;;=");

  static final List<String> ODD_HEADERS =
      List.of(
          "X-Big: " + "a".repeat(6000),
          "Authorization: Bearer \u00ff\u00fe",
          "Authorization: Basic %zz",
          "Authorization: Bearer " + "k".repeat(3000),
          "X-Raw: \u00ff\u00fe\u00c3",
          "Accept: \u00ff/\u00fe",
          "Accept-Charset: %zz",
          "Origin: http://evil.example",
          "Origin: null",
          "Origin: \u00ff",
          "Origin: http://allowed.example",
          "Cookie: a=%zz; b",
          "Content-Encoding: gzip",
          "Expect: 100-continue",
          "Expect: nonsense",
          "X-Forwarded-For: %zz",
          "Host: %zz",
          "Host:",
          "Accept-Encoding: gzip, deflate, br, zstd, *;q=0",
          "If-None-Match: \u00ff",
          "Range: bytes=9-1",
          "Upgrade: h2c");

  @BeforeAll
  static void start() throws Exception {
    vertx = TestVertx.withMetrics();
    healthy(Addresses.OPLOG_HEALTH, "oplog");
    healthy(Addresses.LISTENER_HEALTH, "listener");
    healthy(Addresses.REPLICATOR_STATS, "replicator");
    healthy(Addresses.CACHE_HEALTH, "cache-db");
    Await.await(
        vertx
            .eventBus()
            .<Object>consumer(
                Addresses.ENTITIES_LIST,
                m ->
                    Bus.handle(
                        m,
                        EntityListRequest.class,
                        r -> Future.succeededFuture(new EntityListReply(List.of()))))
            .completion());
    Await.await(
        vertx
            .eventBus()
            .<Object>consumer(
                Addresses.VERIFY_LIST,
                m ->
                    Bus.handle(
                        m,
                        io.emcachers.core.messages.VerifyListRequest.class,
                        r ->
                            Future.succeededFuture(
                                new io.emcachers.core.messages.VerifyListReply(List.of()))))
            .completion());
    for (String address :
        List.of(
            Addresses.ENTITIES_GET,
            Addresses.ENTITIES_CREATE,
            Addresses.ENTITIES_UPDATE,
            Addresses.ENTITIES_DELETE,
            Addresses.OPLOG_READ,
            Addresses.OPLOG_COMPACT,
            Addresses.OPLOG_STATS,
            Addresses.OPLOG_REPLICA_LIST,
            Addresses.OPLOG_REPLICA_REMOVE,
            Addresses.REPLICATOR_RECREATE,
            Addresses.VERIFY_START,
            Addresses.VERIFY_GET,
            Addresses.OPLOG_CLUSTER_TIME)) {
      Await.await(
          vertx
              .eventBus()
              .consumer(address, m -> m.fail(ErrorCodes.NOT_FOUND, "unknown entity (stand-in)"))
              .completion());
    }
    JsonObject root = ApiTestSupport.rootConfig(ApiTestSupport.KEY, false);
    root.getJsonObject("api").put("request_timeout_ms", TIMEOUT_MS).put("health_timeout_ms", 1000);
    api = ApiTestSupport.deployApi(vertx, root);
    port = api.actualPort();
  }

  static void healthy(String address, String component) throws Exception {
    Await.await(
        vertx
            .eventBus()
            .<Object>consumer(
                address,
                m ->
                    Bus.handle(
                        m,
                        HealthRequest.class,
                        r ->
                            Future.succeededFuture(
                                new HealthReply(
                                    component,
                                    true,
                                    "running",
                                    new JsonObject().put("node", "n1")))))
            .completion());
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) {
      Await.await(vertx.close());
    }
  }

  /** One hostile request and what its answer must be. */
  record Case(
      String name,
      String method,
      String target,
      byte[] bytes,
      Integer expectStatus,
      String expectCode,
      String expectMessagePart) {

    Case(String name, String method, String target, byte[] bytes) {
      this(name, method, target, bytes, null, null, null);
    }

    Case expect(int status, String code, String messagePart) {
      return new Case(name, method, target, bytes, status, code, messagePart);
    }
  }

  // ---------------------------------------------------------------- request building

  static List<String> baseHeaders() {
    List<String> h = new ArrayList<>();
    h.add("Host: 127.0.0.1");
    h.add("Authorization: Bearer " + ApiTestSupport.KEY);
    h.add("Connection: close");
    return h;
  }

  static byte[] withBody(
      String method,
      String target,
      List<String> headers,
      String contentType,
      byte[] body,
      Integer declaredLength) {
    List<String> h = new ArrayList<>(headers);
    if (contentType != null) {
      h.add("Content-Type: " + contentType);
    }
    if (body != null || declaredLength != null) {
      h.add("Content-Length: " + (declaredLength != null ? declaredLength : body.length));
    }
    return RawHttp.request(method, target, h, body);
  }

  static byte[] plain(String method, String target) {
    return RawHttp.request(method, target, baseHeaders(), null);
  }

  /**
   * The template's path with each parameter replaced by {@code value} at {@code which} (others get
   * a valid value).
   */
  static String fill(String template, int which, String value) {
    String[] parts = template.split("/", -1);
    int param = 0;
    StringBuilder out = new StringBuilder();
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i];
      out.append('/');
      if (p.startsWith(":")) {
        out.append(param == which ? value : (p.equals(":id") ? "doc-1" : "users"));
        param++;
      } else if (p.equals("*")) {
        out.append(which == 0 && param == 0 ? value : "info");
        param++;
      } else {
        out.append(p);
      }
    }
    return out.toString();
  }

  static String fillAll(String template, List<String> values) {
    StringBuilder out = new StringBuilder();
    int param = 0;
    for (String p : template.substring(1).split("/", -1)) {
      out.append('/').append(p.startsWith(":") ? values.get(param++) : p);
    }
    return out.toString();
  }

  static int params(String template) {
    return (int)
        java.util.Arrays.stream(template.split("/"))
            .filter(p -> p.startsWith(":") || p.equals("*"))
            .count();
  }

  static byte[] routeRequest(String method, String template, String target) {
    if (BODY_ROUTES.contains(method + " " + template)) {
      return withBody(
          method, target, baseHeaders(), "application/json", latin1(validBody(template)), null);
    }
    return plain(method, target);
  }

  static String validBody(String template) {
    return switch (template) {
      case "/api/entities", "/api/entities/:name" ->
          "{\"name\":\"users\",\"shape\":{\"entity_name\":\"User\",\"source_name\":\"users\","
              + "\"columns\":[{\"name\":\"id\",\"type\":\"Text\",\"path\":\"_id\"}]}}";
      case "/api/oplogs/batch" -> "{\"entities\":[\"users\"],\"after\":0,\"limit\":10}";
      case "/api/cache/:entity/query" -> "{\"sql\":\"SELECT 1\"}";
      default -> "{}";
    };
  }

  // ---------------------------------------------------------------- the fixed battery

  static List<Case> fixedBattery() {
    List<Case> cases = new ArrayList<>();
    for (String[] t : TEMPLATES) {
      String method = t[0];
      String template = t[1];
      int n = Math.max(1, params(template));
      // malformed escapes in every path parameter (and in a fixed segment of param-less routes)
      for (String bad : BAD_ESCAPES) {
        for (int i = 0; i < n; i++) {
          String target = params(template) == 0 ? template + bad : fill(template, i, bad);
          cases.add(
              new Case(
                      "bad escape " + bad + " in " + method + " " + template,
                      method,
                      target,
                      routeRequest(method, template, target))
                  .expect(400, "bad_request", "percent-encoding"));
        }
      }
      // raw bytes that must be escaped
      for (String raw : RAW_BYTES) {
        for (int i = 0; i < n; i++) {
          String target = params(template) == 0 ? template + raw : fill(template, i, raw);
          cases.add(
              new Case(
                      "raw bytes " + escape(raw) + " in " + method + " " + template,
                      method,
                      target,
                      routeRequest(method, template, target))
                  .expect(400, null, null));
        }
      }
      // dot-segments, escaped slashes, odd but well-formed values
      for (String odd : TRAVERSAL) {
        for (int i = 0; i < n; i++) {
          String target = params(template) == 0 ? template + "/" + odd : fill(template, i, odd);
          cases.add(
              new Case(
                  "odd segment " + abbreviate(odd) + " in " + method + " " + template,
                  method,
                  target,
                  routeRequest(method, template, target)));
        }
      }
      // bad query escapes, odd queries
      String clean = fill(template, -1, "");
      for (String q : BAD_QUERIES) {
        String target = clean + "?" + q;
        cases.add(
            new Case(
                    "bad query " + q + " on " + method + " " + template,
                    method,
                    target,
                    routeRequest(method, template, target))
                .expect(400, "bad_request", "percent-encoding"));
      }
      for (String q : ODD_QUERIES) {
        String target = clean + "?" + q;
        cases.add(
            new Case(
                "odd query " + abbreviate(q) + " on " + method + " " + template,
                method,
                target,
                routeRequest(method, template, target)));
      }
      // double slashes
      for (String target :
          List.of(
              "/" + clean,
              clean.replaceFirst("/", "//"),
              clean.replace("/", "//"),
              clean + "//",
              clean + "/")) {
        cases.add(
            new Case("slashes " + target, method, target, routeRequest(method, template, target)));
      }
      // unknown and wrong methods
      for (String m : UNKNOWN_METHODS) {
        cases.add(new Case("method " + m + " on " + template, m, clean, plain(m, clean)));
      }
      cases.add(new Case("HEAD on " + template, "HEAD", clean, plain("HEAD", clean)));
      // a multipart body on any route, with any method (vertx-web's body handler throws on one)
      cases.add(
          new Case(
                  "multipart body on " + method + " " + template,
                  method,
                  clean,
                  withBody(
                      method,
                      clean,
                      baseHeaders(),
                      "multipart/form-data; boundary=xyz",
                      latin1(
                          "--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--xyz--\r\n"),
                      null))
              .expect(415, "unsupported_media_type", "multipart"));
      // bodies
      if (BODY_ROUTES.contains(method + " " + template)) {
        for (String body : BAD_BODIES) {
          cases.add(
              new Case(
                  "body " + abbreviate(escape(body)) + " on " + method + " " + template,
                  method,
                  clean,
                  withBody(method, clean, baseHeaders(), "application/json", latin1(body), null)));
        }
        for (String ct : CONTENT_TYPES) {
          cases.add(
              new Case(
                  "content type " + escape(ct) + " on " + method + " " + template,
                  method,
                  clean,
                  withBody(
                      method,
                      clean,
                      baseHeaders(),
                      ct,
                      latin1(ct.startsWith("application/x-www") ? "a=%zz&b" : validBody(template)),
                      null)));
        }
        cases.add(
            new Case(
                "no content type on " + method + " " + template,
                method,
                clean,
                withBody(method, clean, baseHeaders(), null, latin1(validBody(template)), null)));
        cases.add(
            new Case("no body on " + method + " " + template, method, clean, plain(method, clean)));
        cases.add(
            new Case(
                    "too large on " + method + " " + template,
                    method,
                    clean,
                    withBody(
                        method,
                        clean,
                        baseHeaders(),
                        "application/json",
                        latin1("[" + "1,".repeat(5000) + "1]"),
                        null))
                .expect(413, "too_large", null));
        cases.add(
            new Case(
                    "declared too large on " + method + " " + template,
                    method,
                    clean,
                    withBody(
                        method,
                        clean,
                        baseHeaders(),
                        "application/json",
                        latin1("{}"),
                        1_000_000_000))
                .expect(413, "too_large", null));
        // shorter than its Content-Length: the request never completes
        cases.add(
            new Case(
                    "truncated body on " + method + " " + template,
                    method,
                    clean,
                    withBody(
                        method,
                        clean,
                        baseHeaders(),
                        "application/json",
                        latin1("{\"name\":"),
                        100))
                .expect(408, "request_timeout", null));
        List<String> chunked = new ArrayList<>(baseHeaders());
        chunked.add("Content-Type: application/json");
        chunked.add("Transfer-Encoding: chunked");
        cases.add(
            new Case(
                    "unfinished chunked body on " + method + " " + template,
                    method,
                    clean,
                    RawHttp.request(method, clean, chunked, latin1("5\r\n{\"a\":\r\n")))
                .expect(408, "request_timeout", null));
        List<String> noAuth = new ArrayList<>(baseHeaders());
        noAuth.remove(1);
        cases.add(
            new Case(
                    "truncated body without key on " + method + " " + template,
                    method,
                    clean,
                    withBody(method, clean, noAuth, "application/json", latin1("{\"name\":"), 100))
                .expect(408, "request_timeout", null));
      } else {
        cases.add(
            new Case(
                "body on " + method + " " + template,
                method,
                clean,
                withBody(
                    method, clean, baseHeaders(), "application/json", latin1("{\"a\":"), null)));
      }
      // odd headers
      for (String header : ODD_HEADERS) {
        List<String> h = baseHeaders();
        if (header.startsWith("Authorization:")) {
          h.remove(1);
        }
        if (header.startsWith("Host:")) {
          h.remove(0);
        }
        h.add(header);
        cases.add(
            new Case(
                "header " + abbreviate(escape(header)) + " on " + template,
                method,
                clean,
                BODY_ROUTES.contains(method + " " + template)
                    ? withBody(
                        method, clean, h, "application/json", latin1(validBody(template)), null)
                    : RawHttp.request(method, clean, h, null)));
      }
    }
    cases.addAll(protocolBattery());
    return cases;
  }

  /** Requests that break HTTP itself: answered by the server's invalid-request handler. */
  static List<Case> protocolBattery() {
    List<Case> cases = new ArrayList<>();
    List<String> hugeHeader = baseHeaders();
    hugeHeader.add("X-Huge: " + "a".repeat(10_000));
    cases.add(
        new Case(
                "one huge header",
                "GET",
                "/api/entities",
                RawHttp.request("GET", "/api/entities", hugeHeader, null))
            .expect(431, null, null));
    List<String> many = baseHeaders();
    for (int i = 0; i < 300; i++) {
      many.add("X-H" + i + ": " + "v".repeat(60));
    }
    cases.add(
        new Case("many headers", "GET", "/health", RawHttp.request("GET", "/health", many, null))
            .expect(431, null, null));
    String longTarget = "/api/entities/" + "a".repeat(5000);
    cases.add(
        new Case("very long request target", "GET", longTarget, plain("GET", longTarget))
            .expect(414, null, null));
    cases.add(new Case("garbage request line", "GET", "/", latin1("GARBAGE\r\n\r\n")));
    cases.add(
        new Case(
            "request line with spaces",
            "GET",
            "/",
            latin1("GET /api/entities/a b c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
    // The one 5xx a client can provoke: Vert.x's HTTP/1 layer answers a version it does not
    // implement
    // with a bare 501 before any API code runs (documented in the README).
    for (String version : List.of("HTTP/9.9", "HTTP/1.2", "HTTP/2.0")) {
      cases.add(
          new Case(
                  "version " + version,
                  "GET",
                  "/health",
                  latin1("GET /health " + version + "\r\nHost: x\r\nConnection: close\r\n\r\n"))
              .expect(501, UNSUPPORTED_VERSION, null));
    }
    cases.add(new Case("HTTP/1.0", "GET", "/health", latin1("GET /health HTTP/1.0\r\n\r\n")));
    cases.add(
        new Case(
            "no Host",
            "GET",
            "/health",
            latin1("GET /health HTTP/1.1\r\nConnection: close\r\n\r\n")));
    cases.add(new Case("asterisk target", "GET", "*", plain("GET", "*")));
    cases.add(
        new Case("absolute target", "GET", "/health", plain("GET", "http://127.0.0.1/health")));
    cases.add(
        new Case(
                "absolute target bad escape",
                "GET",
                "/api/entities/%zz",
                plain("GET", "http://127.0.0.1/api/entities/%zz"))
            .expect(400, "bad_request", "percent-encoding"));
    cases.add(new Case("relative target", "GET", "api/entities", plain("GET", "api/entities")));
    cases.add(new Case("invalid method token", "G@T", "/health", plain("G@T", "/health")));
    cases.add(
        new Case(
            "header without colon",
            "GET",
            "/health",
            latin1("GET /health HTTP/1.1\r\nHost: x\r\nNoColonHere\r\nConnection: close\r\n\r\n")));
    cases.add(
        new Case(
            "header name with space",
            "GET",
            "/health",
            latin1(
                "GET /health HTTP/1.1\r\nHost: x\r\nBad Header: v\r\nConnection: close\r\n\r\n")));
    cases.add(
        new Case(
            "obs-fold header",
            "GET",
            "/health",
            latin1(
                "GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  folded\r\nConnection: close\r\n\r\n")));
    cases.add(
        new Case(
            "Content-Length not a number",
            "POST",
            "/api/entities",
            latin1(
                "POST /api/entities HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\nConnection: close\r\n\r\n{}")));
    cases.add(
        new Case(
            "negative Content-Length",
            "POST",
            "/api/entities",
            latin1(
                "POST /api/entities HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\nConnection: close\r\n\r\n{}")));
    cases.add(
        new Case(
            "two Content-Lengths",
            "POST",
            "/api/entities",
            latin1(
                "POST /api/entities HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{}")));
    cases.add(
        new Case(
            "chunked and Content-Length",
            "POST",
            "/api/entities",
            latin1(
                "POST /api/entities HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + ApiTestSupport.KEY
                    + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    + "2\r\n{}\r\n0\r\n\r\n")));
    cases.add(
        new Case(
            "unknown transfer coding",
            "POST",
            "/api/entities",
            latin1(
                "POST /api/entities HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n{}")));
    cases.add(
        new Case(
            "null byte in header",
            "GET",
            "/health",
            latin1(
                "GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\nConnection: close\r\n\r\n")));
    cases.add(
        new Case(
            "bare LF line ends",
            "GET",
            "/health",
            latin1("GET /health HTTP/1.1\nHost: x\nConnection: close\n\n")));
    cases.add(
        new Case(
            "websocket upgrade without key",
            "GET",
            "/ws/status",
            latin1(
                "GET /ws/status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + ApiTestSupport.KEY
                    + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n")));
    cases.add(
        new Case(
            "websocket upgrade bad version",
            "GET",
            "/ws/status",
            latin1(
                "GET /ws/status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + ApiTestSupport.KEY
                    + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n\r\n")));
    // SockJS transports: client mistakes must not be 5xx either
    cases.add(
        new Case(
            "sockjs xhr_send to unknown session",
            "POST",
            "/eventbus/000/nosession/xhr_send",
            withBody(
                "POST",
                "/eventbus/000/nosession/xhr_send",
                baseHeaders(),
                "text/plain",
                latin1("[\"x\"]"),
                null)));
    cases.add(
        new Case(
            "sockjs jsonp without callback",
            "GET",
            "/eventbus/000/jp1/jsonp",
            plain("GET", "/eventbus/000/jp1/jsonp")));
    cases.add(
        new Case(
            "sockjs jsonp bad callback",
            "GET",
            "/eventbus/000/jp2/jsonp?c=a(b)",
            plain("GET", "/eventbus/000/jp2/jsonp?c=a(b)")));
    cases.add(
        new Case(
            "sockjs htmlfile without callback",
            "GET",
            "/eventbus/000/hf1/htmlfile",
            plain("GET", "/eventbus/000/hf1/htmlfile")));
    cases.add(
        new Case(
            "sockjs websocket transport without upgrade",
            "GET",
            "/eventbus/000/ws1/websocket",
            plain("GET", "/eventbus/000/ws1/websocket")));
    cases.add(
        new Case(
            "sockjs websocket transport POST",
            "POST",
            "/eventbus/000/ws2/websocket",
            plain("POST", "/eventbus/000/ws2/websocket")));
    return cases;
  }

  /**
   * Bad payloads sent to open SockJS sessions (xhr_streaming keeps each open while its connection
   * lives).
   */
  static List<String> sockJsSessionFailures() throws Exception {
    List<String> failures = new ArrayList<>();
    List<String> payloads =
        List.of("", "[", "not json", "{\"a\":1}", "\u00ff\u00fe", "[\"x\"", "[1,2", "[{}]", "null");
    int i = 0;
    for (String payload : payloads) {
      String session = "hostile" + (i++);
      int[] status = new int[1];
      try (java.net.Socket stream =
          RawHttp.openStream(
              port,
              plain("POST", "/eventbus/000/" + session + "/xhr_streaming"),
              CLIENT_DEADLINE_MS,
              status)) {
        assertEquals(200, status[0], "a SockJS xhr_streaming session opens");
        String target = "/eventbus/000/" + session + "/xhr_send";
        Case c =
            new Case(
                    "sockjs xhr_send " + escape(payload) + " on an open session",
                    "POST",
                    target,
                    withBody("POST", target, baseHeaders(), "text/plain", latin1(payload), null))
                .expect(400, "bad_request", "SockJS");
        RawHttp.Response r = RawHttp.exchange(port, c.bytes(), false, CLIENT_DEADLINE_MS);
        String why = verdict(c, r);
        if (why != null) {
          failures.add(c.name() + ": " + why + "\n    answer: " + r);
        }
        // a well-formed send on the same session is accepted (and refused inside by the bridge:
        // nothing inbound)
        RawHttp.Response ok =
            RawHttp.exchange(
                port,
                withBody(
                    "POST",
                    target,
                    baseHeaders(),
                    "text/plain",
                    latin1(
                        "[\"{\\\"type\\\":\\\"send\\\",\\\"address\\\":\\\"emc.entities.delete\\\",\\\"body\\\":{}}\"]"),
                    null),
                false,
                CLIENT_DEADLINE_MS);
        if (ok.status() != 204) {
          failures.add("a valid xhr_send on an open session: expected 204, got " + ok);
        }
      }
    }
    return failures;
  }

  // ---------------------------------------------------------------- the seeded random requests

  static List<Case> randomRequests(long seed, int count) {
    Random rnd = new Random(seed);
    List<Case> cases = new ArrayList<>();
    for (int k = 0; k < count; k++) {
      String[] t = TEMPLATES.get(rnd.nextInt(TEMPLATES.size()));
      String template = t[1];
      String method = rnd.nextInt(5) == 0 ? pick(rnd, UNKNOWN_METHODS) : t[0];
      List<String> notes = new ArrayList<>();
      List<String> values = new ArrayList<>();
      int n = params(template);
      for (int i = 0; i < n; i++) {
        values.add(
            switch (rnd.nextInt(6)) {
              case 0 -> pick(rnd, BAD_ESCAPES);
              case 1 -> pick(rnd, TRAVERSAL);
              case 2 -> randomSegment(rnd);
              case 3 -> pick(rnd, RAW_BYTES);
              default -> template.contains(":id") && i == 1 ? "doc-" + rnd.nextInt(100) : "users";
            });
      }
      String path;
      if (template.startsWith("/dashboard/")) {
        path =
            "/dashboard/"
                + switch (rnd.nextInt(4)) {
                  case 0 -> "app.js";
                  case 1 -> pick(rnd, TRAVERSAL);
                  case 2 -> pick(rnd, BAD_ESCAPES);
                  default -> randomSegment(rnd);
                };
      } else if (template.endsWith("*")) {
        path =
            "/eventbus/"
                + (rnd.nextBoolean()
                    ? "info"
                    : values.get(0)
                        + "/"
                        + randomSegment(rnd)
                        + "/"
                        + pick(
                            rnd,
                            List.of(
                                "xhr_send",
                                "websocket",
                                "jsonp",
                                "htmlfile",
                                "jsonp_send",
                                "iframe.html",
                                randomSegment(rnd))));
      } else {
        path = fillAll(template, values);
      }
      if (rnd.nextInt(4) == 0) {
        path = path.replaceFirst("/", rnd.nextBoolean() ? "//" : "/./");
      }
      String target = path;
      if (rnd.nextInt(3) == 0) {
        target +=
            "?"
                + (rnd.nextBoolean()
                    ? pick(rnd, BAD_QUERIES)
                    : rnd.nextBoolean()
                        ? pick(rnd, ODD_QUERIES)
                        : randomSegment(rnd) + "=" + randomSegment(rnd));
      }
      List<String> headers = baseHeaders();
      if (rnd.nextInt(6) == 0) {
        headers.remove(1);
        notes.add("no key");
      }
      if (rnd.nextInt(5) == 0) {
        String h = pick(rnd, ODD_HEADERS);
        if (!h.startsWith("Host:") && !h.startsWith("Authorization:")) {
          headers.add(h);
          notes.add(abbreviate(escape(h)));
        }
      }
      byte[] body = null;
      Integer declared = null;
      String contentType = null;
      boolean bodyRoute = BODY_ROUTES.contains(t[0] + " " + template);
      if (bodyRoute ? rnd.nextInt(10) != 0 : rnd.nextInt(8) == 0) {
        String text =
            switch (rnd.nextInt(4)) {
              case 0 -> validBody(template);
              case 1, 2 -> pick(rnd, BAD_BODIES);
              default -> randomSegment(rnd);
            };
        body = latin1(text);
        contentType = rnd.nextInt(4) == 0 ? pick(rnd, CONTENT_TYPES) : "application/json";
        int shape = rnd.nextInt(20);
        if (shape == 0) {
          declared =
              body.length + 1 + rnd.nextInt(50); // never completes: 408 when the route reads it
          notes.add("truncated");
        } else if (shape == 1) {
          declared = Math.max(0, body.length - 1 - rnd.nextInt(Math.max(1, body.length)));
          notes.add("short length");
        }
      }
      byte[] bytes =
          body == null && declared == null
              ? RawHttp.request(method, target, headers, null)
              : withBody(method, target, headers, contentType, body, declared);
      cases.add(
          new Case(
              "random #" + k + " " + method + " " + abbreviate(escape(target)) + " " + notes,
              method,
              target,
              bytes));
    }
    return cases;
  }

  static String randomSegment(Random rnd) {
    String alphabet = "abcXYZ019-._~%%%+!$&'()*,;=:@ ";
    int len = 1 + rnd.nextInt(12);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < len; i++) {
      switch (rnd.nextInt(8)) {
        case 0 -> sb.append(String.format("%%%02X", rnd.nextInt(256)));
        case 1 -> sb.append((char) (0x80 + rnd.nextInt(0x80)));
        case 2 -> sb.append("%").append("0123456789abcdefGZ".charAt(rnd.nextInt(18)));
        default -> sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
      }
    }
    return sb.toString().replace(" ", "%20");
  }

  static <T> T pick(Random rnd, List<T> list) {
    return list.get(rnd.nextInt(list.size()));
  }

  // ---------------------------------------------------------------- checking the answers

  /** Why {@code r} is not an acceptable answer to {@code c}, or null. */
  static String verdict(Case c, RawHttp.Response r) {
    if (r.status() == -1) {
      return "the server closed the connection without an answer";
    }
    if (r.status() == -2) {
      return "no answer within " + CLIENT_DEADLINE_MS + " ms";
    }
    if (c.expectStatus() != null && r.status() != c.expectStatus()) {
      return "expected " + c.expectStatus() + ", got " + r.status();
    }
    if (UNSUPPORTED_VERSION.equals(c.expectCode())) {
      return null;
    }
    if (r.status() >= 500) {
      return "a client's request produced " + r.status();
    }
    boolean head = "HEAD".equals(c.method());
    String normalized = normalizedPath(c);
    if (r.status() == 404
        && r.body().length == 0
        && normalized != null
        && SOCKJS_SEND.matcher(normalized).matches()) {
      return null; // SockJS's own answer to a send for a session that does not exist (documented
      // exception)
    }
    if (r.status() >= 400) {
      String ct = r.header("content-type");
      if (ct == null || !ct.startsWith("application/json")) {
        return "a " + r.status() + " without the JSON error shape (content type " + ct + ")";
      }
      if (head) {
        return null;
      }
      JsonObject error;
      try {
        error = new JsonObject(r.bodyText()).getJsonObject("error");
      } catch (RuntimeException e) {
        return "a " + r.status() + " whose body is not the JSON error shape";
      }
      if (error == null
          || !(error.getValue("code") instanceof String code)
          || !(error.getValue("message") instanceof String message)) {
        return "a " + r.status() + " whose body is not {\"error\":{\"code\",\"message\"}}";
      }
      Object details = error.getValue("details");
      if (details != null
          && !(details instanceof JsonObject)
          && !(details instanceof io.vertx.core.json.JsonArray)) {
        return "details must be an object or an array";
      }
      if (r.bodyText().contains("Exception") || r.bodyText().contains("\tat ")) {
        return "an exception leaks into the answer";
      }
      if (c.expectCode() != null && !c.expectCode().equals(code)) {
        return "expected code " + c.expectCode() + ", got " + code;
      }
      if (c.expectMessagePart() != null && !message.contains(c.expectMessagePart())) {
        return "expected a message about " + c.expectMessagePart() + ", got: " + message;
      }
      return null;
    }
    // 1xx..3xx: only where a route legitimately succeeds
    return legitimateSuccess(c, r.status())
        ? null
        : "a " + r.status() + " where the request should have been refused";
  }

  /**
   * The request's path as the router matches it (Vert.x's own normalisation), null when it cannot
   * be normalised.
   */
  static String normalizedPath(Case c) {
    String rawPath = c.target();
    int q = rawPath.indexOf('?');
    if (q >= 0) {
      rawPath = rawPath.substring(0, q);
    }
    if (rawPath.startsWith("http://")) {
      rawPath = rawPath.substring(rawPath.indexOf('/', "http://".length()));
    }
    try {
      String path = RFC3986.normalizePath(rawPath);
      return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    } catch (RuntimeException malformed) {
      return null;
    }
  }

  static boolean legitimateSuccess(Case c, int status) {
    String path = normalizedPath(c);
    if (path == null) {
      return false;
    }
    if (path.startsWith("/eventbus")) {
      return true; // SockJS: info, welcome, iframe, session transports
    }
    if (status == 101) {
      return path.equals("/ws/status") || path.equals("/ws/changes");
    }
    if ("OPTIONS".equals(c.method())) {
      return new String(c.bytes(), StandardCharsets.ISO_8859_1)
          .contains("Origin: http://allowed.example"); // a CORS preflight
    }
    if ("GET".equals(c.method()) && (path.equals("/") || dashboardAsset(path))) {
      return true; // the dashboard page and its existing assets
    }
    return ("GET".equals(c.method()) || "HEAD".equals(c.method())) && SUCCEEDING.contains(path);
  }

  static boolean dashboardAsset(String path) {
    return path.startsWith(io.emcachers.api.routes.DashboardRoutes.ASSETS)
        && HostileRequestsTest.class
                .getClassLoader()
                .getResource(io.emcachers.api.routes.DashboardRoutes.WEBROOT + path)
            != null;
  }

  static List<String> run(List<Case> cases) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<java.util.concurrent.Future<String>> results = new ArrayList<>();
      for (Case c : cases) {
        results.add(
            pool.submit(
                () -> {
                  RawHttp.Response r =
                      RawHttp.exchange(
                          port, c.bytes(), "HEAD".equals(c.method()), CLIENT_DEADLINE_MS);
                  String why = verdict(c, r);
                  return why == null ? null : c.name() + ": " + why + "\n    answer: " + r;
                }));
      }
      List<String> failures = new ArrayList<>();
      for (java.util.concurrent.Future<String> f : results) {
        String why = f.get(120, TimeUnit.SECONDS);
        if (why != null) {
          failures.add(why);
        }
      }
      return failures;
    } finally {
      pool.shutdownNow();
    }
  }

  static void assertNoFailures(int total, List<String> failures) {
    if (!failures.isEmpty()) {
      System.out.println(String.join("\n", failures));
      fail(
          failures.size()
              + " of "
              + total
              + " hostile requests got a wrong answer:\n"
              + failures.stream().limit(40).collect(Collectors.joining("\n")));
    }
  }

  // ---------------------------------------------------------------- tests

  @Test
  void theBatteryCoversEveryRouteOfTheRouter() {
    Set<String> routed = new LinkedHashSet<>();
    for (Route route : api.router().getRoutes()) {
      if (route.getPath() != null) {
        // "/" is the dashboard page itself, not a prefix route
        routed.add(route.getPath().equals("/") ? "/" : route.getPath().replaceAll("/$", "/*"));
      }
    }
    Set<String> covered = TEMPLATES.stream().map(t -> t[1]).collect(Collectors.toSet());
    assertTrue(
        covered.containsAll(routed),
        "routes without hostile requests: "
            + routed.stream().filter(p -> !covered.contains(p)).toList());
  }

  @Test
  void everyHostileRequestOfTheBatteryIsRefusedWithA4xxAndTheErrorShape() throws Exception {
    List<Case> cases = fixedBattery();
    List<String> failures = new ArrayList<>(run(cases));
    failures.addAll(sockJsSessionFailures());
    assertNoFailures(cases.size(), failures);
  }

  @Test
  void seededRandomRequestsNeverGetA5xx() throws Exception {
    List<Case> cases = randomRequests(SEED, RANDOM_REQUESTS);
    assertNoFailures(cases.size(), run(cases));
  }

  static String escape(String s) {
    StringBuilder sb = new StringBuilder();
    for (char ch : s.toCharArray()) {
      sb.append(ch < 0x20 || ch > 0x7e ? String.format("\\x%02x", (int) ch) : String.valueOf(ch));
    }
    return sb.toString();
  }

  static String abbreviate(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "...(" + s.length() + ")" : s;
  }
}
