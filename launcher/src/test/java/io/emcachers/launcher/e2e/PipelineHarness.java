package io.emcachers.launcher.e2e;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.messages.EntityNameRequest;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.EntityUpsertRequest;
import io.emcachers.devservices.DevMongo;
import io.emcachers.devservices.DevPostgres;
import io.emcachers.launcher.Node;
import io.emcachers.launcher.VertxFactory;
import io.emcachers.launcher.config.ConfigLoader;
import io.emcachers.launcher.config.LaunchConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.MongoClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One emcachers node in the test JVM over real PostgreSQL, the MongoDB wire-protocol server and
 * SQLite files.
 */
final class PipelineHarness implements AutoCloseable {

  final JsonObject config;
  final Path dataDir;
  final Vertx vertx;
  final Node node;

  private PipelineHarness(JsonObject config, Path dataDir, Vertx vertx, Node node) {
    this.config = config;
    this.dataDir = dataDir;
    this.vertx = vertx;
    this.node = node;
  }

  static JsonObject config(DevPostgres pg, DevMongo mongo, Path dataDir, String... roles) {
    JsonObject cfg = ConfigLoader.defaults();
    cfg.put("data_dir", dataDir.toString());
    cfg.put("roles", new JsonArray(java.util.List.of((Object[]) roles)));
    cfg.getJsonObject("postgres").put("url", pg.url());
    cfg.getJsonObject("mongo").put("url", mongo.url("app"));
    cfg.getJsonObject("api").put("port", 0).put("key", "test-key");
    cfg.getJsonObject("listener").put("batch_max_delay_ms", 10);
    cfg.getJsonObject("replicator").put("poll_interval_ms", 200);
    return cfg;
  }

  static PipelineHarness start(JsonObject config) throws Exception {
    LaunchConfig launch = LaunchConfig.fromJson(config);
    Vertx vertx =
        VertxFactory.create(launch)
            .toCompletionStage()
            .toCompletableFuture()
            .get(60, TimeUnit.SECONDS);
    Node node = new Node(vertx, config, launch);
    node.deploy().toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    return new PipelineHarness(config, launch.dataDir(), vertx, node);
  }

  MongoClient mongo() {
    return MongoClient.createShared(
        vertx,
        new JsonObject().put("connection_string", config.getJsonObject("mongo").getString("url")),
        "e2e");
  }

  EntityReply create(JsonObject definition) throws Exception {
    return Bus.request(
            vertx.eventBus(),
            Addresses.ENTITIES_CREATE,
            new EntityUpsertRequest(definition),
            EntityReply.class)
        .toCompletionStage()
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
  }

  EntityReply update(JsonObject definition) throws Exception {
    return Bus.request(
            vertx.eventBus(),
            Addresses.ENTITIES_UPDATE,
            new EntityUpsertRequest(definition),
            EntityReply.class)
        .toCompletionStage()
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
  }

  EntityReply delete(String name) throws Exception {
    return Bus.request(
            vertx.eventBus(),
            Addresses.ENTITIES_DELETE,
            new EntityNameRequest(name),
            EntityReply.class)
        .toCompletionStage()
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
  }

  EntityReply get(String name) throws Exception {
    return Bus.request(
            vertx.eventBus(),
            Addresses.ENTITIES_GET,
            new EntityNameRequest(name),
            EntityReply.class)
        .toCompletionStage()
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
  }

  static JsonObject entity(String name, String collection, JsonArray columns) {
    return new JsonObject()
        .put("name", name)
        .put(
            "shape",
            new JsonObject()
                .put("entity_name", name)
                .put("source_name", collection)
                .put("columns", columns));
  }

  static JsonObject col(String name, String type, String path) {
    return new JsonObject().put("name", name).put("type", type).put("path", path);
  }

  @Override
  public void close() throws Exception {
    node.undeploy(Duration.ofSeconds(10))
        .toCompletionStage()
        .toCompletableFuture()
        .get(60, TimeUnit.SECONDS);
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
