package io.emcachers.launcher.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close();
  }

  JsonObject load(Path file, Map<String, String> env, JsonObject flags) throws Exception {
    return ConfigLoader.load(vertx, file, env, flags)
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  @Test
  void bundledDefaultsHaveEverySection() throws Exception {
    JsonObject cfg = load(null, Map.of(), new JsonObject());
    for (String section :
        new String[] {
          "postgres", "mongo", "oplog", "listener", "replicator", "cache", "api", "cluster"
        }) {
      assertTrue(cfg.getValue(section) instanceof JsonObject, "section " + section);
    }
    assertEquals(8080, cfg.getJsonObject("api").getInteger("port"));
  }

  @Test
  void precedenceIsDefaultsThenFileThenEnvThenFlags(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("c.json");
    Files.writeString(
        file,
        new JsonObject()
            .put("api", new JsonObject().put("port", 9000).put("open_reads", true))
            .put(
                "listener",
                new JsonObject().put("batch_max_entries", 7).put("max_unacked_batches", 9))
            .encode());
    Map<String, String> env =
        Map.of(
            "EMC_LISTENER_BATCH_MAX_ENTRIES", "11",
            "EMC_API_KEY", "secret",
            "EMC_PG_URL", "postgresql://u:p@db:5432/x",
            "EMC_DATA_DIR", "/var/emc",
            "PATH", "/usr/bin");
    JsonObject flags = new JsonObject().put("api", new JsonObject().put("port", 9100));
    JsonObject cfg = load(file, env, flags);
    assertEquals(9100, cfg.getJsonObject("api").getInteger("port"), "flag beats file");
    assertEquals(true, cfg.getJsonObject("api").getBoolean("open_reads"), "file beats defaults");
    assertEquals("secret", cfg.getJsonObject("api").getString("key"), "env sets api.key");
    assertEquals(
        11,
        cfg.getJsonObject("listener").getInteger("batch_max_entries"),
        "env beats file, typed as a number");
    assertEquals(
        9,
        cfg.getJsonObject("listener").getInteger("max_unacked_batches"),
        "sections merge key by key");
    assertEquals(
        50,
        cfg.getJsonObject("listener").getInteger("batch_max_delay_ms"),
        "untouched default kept");
    assertEquals(
        "postgresql://u:p@db:5432/x",
        cfg.getJsonObject("postgres").getString("url"),
        "EMC_PG_URL alias");
    assertEquals("/var/emc", cfg.getString("data_dir"));
    assertEquals(null, cfg.getValue("path"), "non-EMC variables are ignored");
  }

  @Test
  void missingOrMalformedConfigFileIsAPreciseError(@TempDir Path dir) throws Exception {
    ExecutionException missing =
        assertThrows(
            ExecutionException.class,
            () -> load(dir.resolve("nope.json"), Map.of(), new JsonObject()));
    assertTrue(
        missing.getCause().getMessage().contains("not found"), missing.getCause().getMessage());
    Path bad = dir.resolve("bad.json");
    Files.writeString(bad, "{ not json");
    ExecutionException malformed =
        assertThrows(ExecutionException.class, () -> load(bad, Map.of(), new JsonObject()));
    assertTrue(
        malformed.getCause().getMessage().contains("could not read configuration"),
        malformed.getCause().getMessage());
  }

  @Test
  void envValuesAreTypedLikeTheDefaults() {
    JsonObject defaults = ConfigLoader.defaults();
    JsonObject o =
        EnvOverrides.from(
            Map.of(
                "EMC_API_OPEN_READS", "true",
                "EMC_API_CORS_ORIGINS", "http://a,http://b",
                "EMC_ROLES", "[\"api\",\"replicator\"]",
                "EMC_CACHE_IDLE_EXPIRY_MS", "not-a-number"),
            defaults);
    assertEquals(true, o.getJsonObject("api").getBoolean("open_reads"));
    assertEquals(
        new JsonArray().add("http://a").add("http://b"),
        o.getJsonObject("api").getJsonArray("cors_origins"));
    assertEquals(new JsonArray().add("api").add("replicator"), o.getJsonArray("roles"));
    assertEquals(
        "not-a-number",
        o.getJsonObject("cache").getString("idle_expiry_ms"),
        "left as text for the verticle's validation to reject");
  }

  @Test
  void launchConfigRejectsUnknownRolesAndBadPorts() {
    JsonObject defaults = ConfigLoader.defaults();
    LaunchConfig ok = LaunchConfig.fromJson(defaults);
    assertEquals(LaunchConfig.ALL_ROLES, ok.roles());
    assertTrue(ok.nodeId() != null && !ok.nodeId().isBlank());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                LaunchConfig.fromJson(
                    defaults.copy().put("roles", new JsonArray().add("api").add("writer"))));
    assertTrue(e.getMessage().contains("unknown role 'writer'"), e.getMessage());
    JsonObject badPort = defaults.copy();
    badPort.getJsonObject("cluster").put("port", 70000);
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> LaunchConfig.fromJson(badPort))
            .getMessage()
            .contains("cluster.port"));
  }
}
