package io.emcachers.launcher;

import io.emcachers.devservices.DevMongo;
import io.emcachers.devservices.DevPostgres;
import io.emcachers.launcher.config.ConfigLoader;
import io.emcachers.launcher.config.ConfigValidation;
import io.emcachers.launcher.config.LaunchConfig;
import io.emcachers.launcher.demo.DemoData;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code emcachers run}: every verticle of the configured roles in one JVM. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = "Run emcachers (all roles by default) in this JVM.")
final class RunCommand implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);
  static final Duration STOP_STEP_BOUND = Duration.ofSeconds(10);

  @Option(names = "--config", description = "JSON config file, overriding the bundled defaults")
  Path configFile;

  @Option(
      names = "--data-dir",
      description = "data directory (caches, node metadata, embedded PostgreSQL)")
  Path dataDir;

  @Option(names = "--http-port", description = "API port")
  Integer httpPort;

  @Option(names = "--mongo-url", description = "mongodb://host:port/database (env EMC_MONGO_URL)")
  String mongoUrl;

  @Option(names = "--pg-url", description = "postgresql://user:pass@host:port/db (env EMC_PG_URL)")
  String pgUrl;

  @Option(
      names = "--entities",
      description = "JSON array of entity definitions, created or updated at start")
  Path entitiesFile;

  @Option(
      names = "--embedded",
      description =
          "start PostgreSQL (embedded binaries) and the MongoDB wire-protocol server in this JVM")
  boolean embedded;

  @Option(names = "--demo", description = "load a sample collection (demo_users) and its entity")
  boolean demo;

  /**
   * The key {@code --embedded} generated for this run, else null (a configured key is not shown).
   */
  private String generatedKey;

  private DevPostgres devPostgres;
  private DevMongo devMongo;

  @Override
  public Integer call() throws Exception {
    JsonObject flags = flags();
    Vertx bootstrap = Vertx.vertx();
    JsonObject config;
    try {
      config =
          ConfigLoader.load(bootstrap, configFile, System.getenv(), flags)
              .await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("emcachers: " + rootMessage(e));
      return 2;
    } finally {
      bootstrap.close();
    }
    LaunchConfig launch;
    JsonArray entityDefs;
    try {
      launch = LaunchConfig.fromJson(config);
      config.put("node_id", launch.nodeId()).put("data_dir", launch.dataDir().toString());
      entityDefs = entitiesFile == null ? null : EntityBootstrap.readFile(entitiesFile);
      if (embedded) {
        startEmbedded(config, launch);
      }
      apiKey(config);
      ConfigValidation.validate(config, launch);
    } catch (IllegalArgumentException e) {
      System.err.println("emcachers: invalid configuration: " + e.getMessage());
      stopEmbedded();
      return 2;
    }
    LOG.info(
        "step 1: node {} roles {} data dir {}{}",
        launch.nodeId(),
        launch.roles(),
        launch.dataDir(),
        launch.clustered() ? " clustered as " + launch.clusterName() : "");
    LOG.info(
        "step 2: PostgreSQL {}, MongoDB {}",
        redact(config.getJsonObject("postgres").getString("url")),
        redact(config.getJsonObject("mongo").getString("url")));

    Vertx vertx;
    try {
      vertx = VertxFactory.create(launch).await(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("emcachers: could not start Vert.x: " + rootMessage(e));
      stopEmbedded();
      return 1;
    }
    Node node = new Node(vertx, config, launch);
    CountDownLatch stopped = new CountDownLatch(1);
    Shutdown.install(
        () -> {
          LOG.info("shutdown: stopping components");
          try {
            node.undeploy(STOP_STEP_BOUND).await(60, TimeUnit.SECONDS);
            vertx.close().await(20, TimeUnit.SECONDS);
          } catch (Exception e) {
            LOG.warn("shutdown: {}", e.toString());
          }
          stopEmbedded();
          LOG.info("shutdown complete");
          stopped.countDown();
        });
    try {
      LOG.info("step 3: deploying components");
      node.deploy().await(180, TimeUnit.SECONDS);
      if (entityDefs != null && EntityBootstrap.localOplogIsStandby(vertx, launch)) {
        // a standby has no writer to create entities with: apply them once a leader accepts
        // them (this node's, when it takes over, or the cluster's), without holding up the start
        LOG.info(
            "step 4: this node's oplog is a standby: the {} entity definition(s) from {} are applied in the background once a leader accepts them",
            entityDefs.size(),
            entitiesFile);
        EntityBootstrap.applyInBackground(vertx, entityDefs, entitiesFile.toString());
      } else if (entityDefs != null) {
        LOG.info(
            "step 4: applying {} entity definition(s) from {}", entityDefs.size(), entitiesFile);
        EntityBootstrap.apply(vertx, entityDefs, Duration.ofSeconds(60))
            .await(90, TimeUnit.SECONDS);
      }
      if (demo) {
        String url = config.getJsonObject("mongo").getString("url");
        int inserted = DemoData.load(vertx, url).await(60, TimeUnit.SECONDS);
        LOG.info(
            "step 5: demo: {} sample document(s) inserted into {}; creating entity demo_users",
            inserted,
            DemoData.COLLECTION);
        EntityBootstrap.apply(vertx, new JsonArray().add(DemoData.entity()), Duration.ofSeconds(60))
            .await(90, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      System.err.println("emcachers: start failed: " + rootMessage(e));
      LOG.error("start failed", e);
      System.exit(1);
    }
    LOG.info(
        "emcachers ready (node {}, API port {})",
        launch.nodeId(),
        config.getJsonObject("api").getValue("port"));
    if (launch.roles().contains("api")) {
      System.out.println(readyBanner(config.getJsonObject("api"), generatedKey));
    }
    stopped.await();
    return 0;
  }

  private JsonObject flags() {
    JsonObject f = new JsonObject();
    if (dataDir != null) {
      f.put("data_dir", dataDir.toString());
    }
    if (httpPort != null) {
      f.put("api", new JsonObject().put("port", httpPort));
    }
    if (mongoUrl != null) {
      f.put("mongo", new JsonObject().put("url", mongoUrl));
    }
    if (pgUrl != null) {
      f.put("postgres", new JsonObject().put("url", pgUrl));
    }
    return f;
  }

  private void startEmbedded(JsonObject config, LaunchConfig launch) {
    Path pgDir = launch.dataDir().resolve("embedded").resolve("pg");
    LOG.info("embedded: starting PostgreSQL (data {})", pgDir);
    devPostgres = new DevPostgres(pgDir, 0).start();
    LOG.info("embedded: starting the MongoDB wire-protocol server (in memory)");
    devMongo = DevMongo.start(0);
    config.getJsonObject("postgres").put("url", devPostgres.url());
    config.getJsonObject("mongo").put("url", devMongo.url("app"));
    // so a client (mongosh, a driver, the README's read-your-writes example) can write to it
    System.out.println("EMC_MONGO_URL=" + devMongo.url("app"));
  }

  private void stopEmbedded() {
    if (devMongo != null) {
      devMongo.close();
      devMongo = null;
    }
    if (devPostgres != null) {
      devPostgres.stop();
      devPostgres = null;
    }
  }

  private void apiKey(JsonObject config) {
    JsonObject api = config.getJsonObject("api");
    String key = api.getString("key");
    if (key != null && !key.isBlank()) {
      return;
    }
    if (embedded) {
      byte[] bytes = new byte[24];
      new SecureRandom().nextBytes(bytes);
      key = HexFormat.of().formatHex(bytes);
      api.put("key", key);
      generatedKey = key;
      System.out.println("EMC_API_KEY=" + key);
      LOG.info(
          "embedded: generated API key for this run (send it as 'Authorization: Bearer KEY'): {}",
          key);
    } else {
      LOG.warn("no api.key configured (EMC_API_KEY): the API refuses every write until one is set");
    }
  }

  /**
   * What a run prints once it is ready: the dashboard's URL and, when this run generated the API
   * key, the key to enter there (a configured key is never printed).
   */
  static String readyBanner(JsonObject api, String generatedKey) {
    String host = api.getString("host", "0.0.0.0");
    if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
      host = "localhost";
    } else if (host.contains(":") && !host.startsWith("[")) {
      host = "[" + host + "]";
    }
    StringBuilder out =
        new StringBuilder("emcachers is ready.\n  dashboard:  http://")
            .append(host)
            .append(':')
            .append(api.getValue("port"))
            .append("/\n");
    if (generatedKey != null) {
      out.append("  API key:    EMC_API_KEY=")
          .append(generatedKey)
          .append("  (enter it on the dashboard; curl: -H \"Authorization: Bearer $EMC_API_KEY\")");
    } else {
      out.append("  API key:    the one configured (api.key / EMC_API_KEY)");
    }
    return out.toString();
  }

  static String redact(String url) {
    return url == null ? null : url.replaceAll("//([^:/@]+):([^@]+)@", "//$1:***@");
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }
}
