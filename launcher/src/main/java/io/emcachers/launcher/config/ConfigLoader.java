package io.emcachers.launcher.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Builds the root config with vertx-config, lowest precedence first: the bundled defaults ({@code
 * conf/config.json}), the {@code --config} file, the environment ({@code EMC_SECTION_KEY}), then
 * command-line flags. Later stores override earlier ones key by key.
 */
public final class ConfigLoader {

  public static final String DEFAULTS_RESOURCE = "emcachers/config.json";

  private ConfigLoader() {}

  public static JsonObject defaults() {
    try (InputStream in =
        ConfigLoader.class.getClassLoader().getResourceAsStream(DEFAULTS_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            "bundled default config " + DEFAULTS_RESOURCE + " is missing from the jar");
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * @param configFile optional JSON file; must exist and parse when given
   * @param env the environment (System.getenv() in production)
   * @param flags overrides from the command line, already in config-tree form
   */
  public static Future<JsonObject> load(
      Vertx vertx, Path configFile, Map<String, String> env, JsonObject flags) {
    JsonObject defaults = defaults();
    ConfigRetrieverOptions options =
        new ConfigRetrieverOptions()
            .setIncludeDefaultStores(false)
            .addStore(new ConfigStoreOptions().setType("json").setConfig(defaults));
    if (configFile != null) {
      if (!Files.isRegularFile(configFile)) {
        return Future.failedFuture(
            new IllegalArgumentException("--config file not found: " + configFile));
      }
      options.addStore(
          new ConfigStoreOptions()
              .setType("file")
              .setFormat("json")
              .setOptional(false)
              .setConfig(new JsonObject().put("path", configFile.toAbsolutePath().toString())));
    }
    options.addStore(
        new ConfigStoreOptions().setType("json").setConfig(EnvOverrides.from(env, defaults)));
    options.addStore(new ConfigStoreOptions().setType("json").setConfig(flags));
    ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
    return retriever
        .getConfig()
        .recover(
            err ->
                Future.failedFuture(
                    new IllegalArgumentException(
                        "could not read configuration: " + err.getMessage(), err)))
        .eventually(retriever::close);
  }
}
