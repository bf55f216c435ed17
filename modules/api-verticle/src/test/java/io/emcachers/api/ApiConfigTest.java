package io.emcachers.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ApiConfigTest {

  @Test
  void readsTheShippedConfig() throws Exception {
    JsonObject root = new JsonObject(Files.readString(Path.of("../../conf/config.json")));
    ApiConfig c = ApiConfig.fromJson(root);
    assertEquals("0.0.0.0", c.host());
    assertEquals(8080, c.port());
    assertNull(c.key());
    assertFalse(c.hasKey());
    assertFalse(c.openReads());
    assertEquals(1_048_576L, c.bodyLimitBytes());
    assertEquals(30_000L, c.requestTimeoutMs());
    assertEquals(List.of(), c.corsOrigins());
    assertEquals(1000, c.queryMaxRows());
    assertEquals(5000L, c.queryTimeoutMs());
    assertEquals(io.emcachers.api.changes.FeedConfig.defaults(), c.feed());
  }

  @Test
  void changeFeedKeysAreValidated() {
    assertMessage(
        "api.changes_max_queued_bytes must be >= 1024, got 10",
        new JsonObject().put("changes_max_queued_bytes", 10));
    assertMessage(
        "api.changes_poll_timeout_ms must be <= api.wait_max_ms (1000), got 25000",
        new JsonObject().put("wait_max_ms", 1000).put("wait_timeout_ms", 500));
    assertMessage(
        "api.changes_batch_rows must be an integer, got \"x\"",
        new JsonObject().put("changes_batch_rows", "x"));
    assertEquals(
        2048L,
        ApiConfig.fromJson(root(new JsonObject().put("changes_max_queued_bytes", 2048)))
            .feed()
            .maxQueuedBytes());
  }

  @Test
  void defaultsWhenTheSectionIsMissing() {
    ApiConfig c = ApiConfig.fromJson(new JsonObject());
    assertEquals(ApiConfig.defaults(ApiConfig.DEFAULT_PORT), c);
  }

  @Test
  void anEmptyKeyMeansNoKey() {
    assertFalse(ApiConfig.fromJson(root(new JsonObject().put("key", ""))).hasKey());
    assertTrue(ApiConfig.fromJson(root(new JsonObject().put("key", "abcdefghijklmnopq"))).hasKey());
  }

  @Test
  void rejectsBadValuesWithPreciseMessages() {
    assertMessage(
        "api.port must be between 0 and 65535 (0: any free port), got 70000",
        new JsonObject().put("port", 70000));
    assertMessage("api.port must be an integer, got \"abc\"", new JsonObject().put("port", "abc"));
    assertMessage(
        "api.open_reads must be true or false, got yes", new JsonObject().put("open_reads", "yes"));
    assertMessage(
        "api.body_limit_bytes must be between 1024 and 1073741824, got 10",
        new JsonObject().put("body_limit_bytes", 10));
    assertMessage(
        "api.request_timeout_ms must be >= 100, got 0",
        new JsonObject().put("request_timeout_ms", 0));
    assertMessage(
        "api.key must be printable ASCII without spaces", new JsonObject().put("key", "has space"));
    assertMessage(
        "api.cors_origins[0] must be an origin like https://example.com[:port] (no path), got \"https://x.com/path\"",
        new JsonObject().put("cors_origins", new JsonArray().add("https://x.com/path")));
    assertMessage(
        "api.cors_origins: \"*\" must be the only entry when present, got [*, https://x.com]",
        new JsonObject().put("cors_origins", new JsonArray().add("*").add("https://x.com")));
    assertMessage(
        "api.host must be a non-empty host name or address, got \"\"",
        new JsonObject().put("host", ""));
  }

  @Test
  void acceptsOriginsAndStar() {
    assertEquals(
        List.of("*"),
        ApiConfig.fromJson(root(new JsonObject().put("cors_origins", new JsonArray().add("*"))))
            .corsOrigins());
    assertEquals(
        List.of("https://a.example:8443", "http://localhost:3000"),
        ApiConfig.fromJson(
                root(
                    new JsonObject()
                        .put(
                            "cors_origins",
                            new JsonArray()
                                .add("https://a.example:8443")
                                .add("http://localhost:3000"))))
            .corsOrigins());
  }

  private static JsonObject root(JsonObject api) {
    return new JsonObject().put("api", api);
  }

  private static void assertMessage(String expected, JsonObject api) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ApiConfig.fromJson(root(api)));
    assertEquals(expected, e.getMessage());
  }
}
