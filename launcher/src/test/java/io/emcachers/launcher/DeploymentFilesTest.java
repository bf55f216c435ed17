package io.emcachers.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.launcher.config.ConfigLoader;
import io.emcachers.launcher.config.ConfigValidation;
import io.emcachers.launcher.config.EnvOverrides;
import io.emcachers.launcher.config.LaunchConfig;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * What can be checked of the container files without a Docker engine: docker-compose.yml parses as
 * YAML, has MongoDB as a replica set, PostgreSQL and emcachers waiting for both; every {@code
 * EMC_*} variable it sets names a key of the config (the {@code EMC_SECTION_KEY} mapping) and
 * together they make a config the launcher accepts; the README's documented variables are among
 * them; and the Dockerfile is a multi-stage build to a JRE image with a non-root user, data under
 * /data and a health check on /health.
 */
class DeploymentFilesTest {

  static final Path ROOT = Path.of("..");

  /** The variables the README documents for a run against real MongoDB and PostgreSQL. */
  static final List<String> DOCUMENTED = List.of("EMC_MONGO_URL", "EMC_PG_URL", "EMC_API_KEY");

  @SuppressWarnings("unchecked")
  static Map<String, Object> compose() throws Exception {
    return new Yaml().load(Files.readString(ROOT.resolve("docker-compose.yml")));
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> service(String name) throws Exception {
    Map<String, Object> services = (Map<String, Object>) compose().get("services");
    assertNotNull(services, "services");
    Map<String, Object> s = (Map<String, Object>) services.get(name);
    assertNotNull(s, "service " + name);
    return s;
  }

  @SuppressWarnings("unchecked")
  static Map<String, String> environment() throws Exception {
    Map<String, String> env = new LinkedHashMap<>();
    ((Map<String, Object>) service("emcachers").get("environment"))
        .forEach((k, v) -> env.put(k, String.valueOf(v)));
    return env;
  }

  @Test
  @SuppressWarnings("unchecked")
  void theComposeFileRunsAReplicaSetPostgresAndEmcachersWaitingForBoth() throws Exception {
    List<String> mongoCommand = (List<String>) service("mongo").get("command");
    assertTrue(mongoCommand.contains("--replSet"), "change streams need a replica set");
    assertNotNull(service("mongo").get("healthcheck"));
    assertNotNull(service("postgres").get("healthcheck"));
    Map<String, Object> app = service("emcachers");
    Map<String, Object> dependsOn = (Map<String, Object>) app.get("depends_on");
    for (String dep : List.of("mongo", "postgres")) {
      assertEquals(
          "service_healthy", ((Map<String, Object>) dependsOn.get(dep)).get("condition"), dep);
    }
    assertTrue(((List<String>) app.get("ports")).contains("8080:8080"));
    assertTrue(((List<String>) app.get("volumes")).contains("emc-data:/data"));
    assertEquals(".", app.get("build"));
  }

  @Test
  void everyEmcVariableNamesAConfigKeyAndTheirConfigIsValid() throws Exception {
    Map<String, String> env = environment();
    for (String name : DOCUMENTED) {
      assertTrue(env.containsKey(name), "docker-compose.yml sets " + name);
    }
    JsonObject defaults = ConfigLoader.defaults();
    List<String> unknown = new ArrayList<>();
    for (Map.Entry<String, String> e : env.entrySet()) {
      assertTrue(e.getKey().startsWith(EnvOverrides.PREFIX), e.getKey());
      JsonObject mapped = EnvOverrides.from(Map.of(e.getKey(), e.getValue()), defaults);
      String top = mapped.fieldNames().iterator().next();
      Object value = mapped.getValue(top);
      boolean known =
          value instanceof JsonObject section
              ? defaults.getJsonObject(top) != null
                  && defaults.getJsonObject(top).containsKey(section.fieldNames().iterator().next())
              : defaults.containsKey(top);
      if (!known) {
        unknown.add(e.getKey() + " → " + mapped.encode());
      }
    }
    assertTrue(unknown.isEmpty(), "variables that name no config key: " + unknown);

    // as the container would start: compose's interpolation of ${EMC_API_KEY:?...} supplies a key
    Map<String, String> resolved = new LinkedHashMap<>(env);
    resolved.put("EMC_API_KEY", "0123456789abcdef0123456789abcdef");
    JsonObject root = defaults.copy().mergeIn(EnvOverrides.from(resolved, defaults), true);
    assertEquals(
        "mongodb://mongo:27017/app?replicaSet=rs0", root.getJsonObject("mongo").getString("url"));
    assertEquals(8080L, ((Number) root.getJsonObject("api").getValue("port")).longValue());
    assertEquals("/data", root.getString("data_dir"));
    ConfigValidation.validate(root, LaunchConfig.fromJson(root)); // throws on a bad value
  }

  @Test
  void theReadmeDocumentsTheVariablesTheComposeFileSets() throws Exception {
    String readme = Files.readString(ROOT.resolve("README.md"));
    for (String name : DOCUMENTED) {
      assertTrue(readme.contains(name), "README names " + name);
    }
    assertTrue(readme.contains("docker-compose.yml"), "README points at the compose file");
  }

  @Test
  void theDockerfileBuildsInAStageOfItsOwnAndRunsAsANonRootUserOnAJre() throws Exception {
    List<String> lines =
        Files.readAllLines(ROOT.resolve("Dockerfile")).stream()
            .map(String::strip)
            .filter(l -> !l.isEmpty() && !l.startsWith("#"))
            .toList();
    List<String> stages = lines.stream().filter(l -> l.startsWith("FROM ")).toList();
    assertEquals(2, stages.size(), "a build stage and a runtime stage: " + stages);
    assertTrue(stages.get(0).endsWith(" AS build"), stages.get(0));
    assertTrue(
        stages.get(1).contains("-jre"), "the runtime stage is a JRE image: " + stages.get(1));
    int runtime = lines.indexOf(stages.get(1));
    List<String> last = lines.subList(runtime, lines.size());
    String user =
        last.stream().filter(l -> l.startsWith("USER ")).reduce((a, b) -> b).orElse("USER root");
    assertFalse(
        user.matches("USER (root|0)(:.*)?"), "the runtime stage runs as a non-root user: " + user);
    assertTrue(last.stream().anyMatch(l -> l.startsWith("COPY --from=build ")), "jar from build");
    assertTrue(last.stream().anyMatch(l -> l.equals("VOLUME [\"/data\"]")), "data volume");
    assertTrue(last.stream().anyMatch(l -> l.contains("EMC_DATA_DIR=/data")), "data dir");
    assertTrue(last.stream().anyMatch(l -> l.equals("EXPOSE 8080")));
    String health =
        String.join(
            " ", last.subList(indexOf(last, "HEALTHCHECK"), indexOf(last, "HEALTHCHECK") + 2));
    assertTrue(health.contains("GET /health"), health);
    assertTrue(
        last.stream().anyMatch(l -> l.startsWith("ENTRYPOINT [\"java\"") && l.contains("-jar")));
  }

  static int indexOf(List<String> lines, String prefix) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith(prefix)) {
        return i;
      }
    }
    throw new AssertionError("no " + prefix);
  }
}
