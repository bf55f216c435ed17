package io.emcachers.launcher.e2e;

import static io.emcachers.launcher.e2e.PipelineHarness.col;
import static io.emcachers.launcher.e2e.PipelineHarness.entity;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.messages.CacheDocRequest;
import io.emcachers.core.messages.CacheRowsReply;
import io.emcachers.devservices.DevMongo;
import io.emcachers.devservices.DevPostgres;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.MongoClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scale-out over a Hazelcast-clustered event bus on loopback: node 1 runs the oplog leader and the
 * listener, node 2 only a replicator with its own data dir. Node 2's caches follow the source, and
 * a cache read sent from node 1 reaches node 2 through the per-entity read address.
 */
class ClusteredReplicaIT {

  static DevPostgres pg;
  static DevMongo mongoServer;
  static PipelineHarness leader;
  static PipelineHarness replica;
  static MongoClient mongo;
  @TempDir static Path dir;

  static JsonObject clustered(JsonObject cfg, String clusterName) {
    cfg.getJsonObject("cluster")
        .put("enabled", true)
        .put("name", clusterName)
        .put("port", 15901)
        .put("members", new JsonArray().add("127.0.0.1"))
        .put("host", "127.0.0.1");
    return cfg;
  }

  @BeforeAll
  static void start() throws Exception {
    pg = DevPostgres.startTemporary();
    mongoServer = DevMongo.start(0);
    String cluster = "emc-it-" + UUID.randomUUID();
    leader =
        PipelineHarness.start(
            clustered(
                PipelineHarness.config(pg, mongoServer, dir.resolve("leader"), "oplog", "listener"),
                cluster));
    replica =
        PipelineHarness.start(
            clustered(
                PipelineHarness.config(pg, mongoServer, dir.resolve("replica"), "replicator"),
                cluster));
    mongo = leader.mongo();
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {replica, leader, mongoServer, pg}) {
      if (c != null) {
        c.close();
      }
    }
  }

  @Test
  void aReplicatorOnlyNodeFollowsTheSourceAndServesReadsToTheCluster() throws Exception {
    List<Future<?>> inserts = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      inserts.add(
          mongo.insert("cars", new JsonObject().put("_id", "car" + i).put("model", "M" + i)));
    }
    Future.all(inserts).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    leader.create(
        entity(
            "cars",
            "cars",
            new JsonArray().add(col("id", "Text", "_id")).add(col("model", "Text", "model"))));
    mongo
        .insert("cars", new JsonObject().put("_id", "car-new").put("model", "streamed"))
        .toCompletionStage()
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);

    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> SqliteRows.rows(replica.dataDir, "cars").size() == 21);
    assertEquals("streamed", SqliteRows.rows(replica.dataDir, "cars").get("car-new").get("model"));

    // node 1 holds no cache; its read travels over the cluster to node 2
    // the read address appears once node 2 reports the cache caught up; until then NO_HANDLERS
    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              CacheRowsReply reply =
                  Bus.request(
                          leader.vertx.eventBus(),
                          Addresses.cacheQueryFor("cars"),
                          new CacheDocRequest("cars", "car3"),
                          CacheRowsReply.class)
                      .toCompletionStage()
                      .toCompletableFuture()
                      .get(10, TimeUnit.SECONDS);
              assertEquals("M3", reply.rows().get(0).getString("model"));
            });
  }
}
