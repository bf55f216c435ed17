package io.emcachers.listener;

import static io.emcachers.listener.ListenerTestSupport.TIMEOUT_S;
import static io.emcachers.listener.ListenerTestSupport.awaitStatus;
import static io.emcachers.listener.ListenerTestSupport.createEntity;
import static io.emcachers.listener.ListenerTestSupport.deployListener;
import static io.emcachers.listener.ListenerTestSupport.health;
import static io.emcachers.listener.ListenerTestSupport.listenerConfig;
import static io.emcachers.listener.ListenerTestSupport.oplog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.model.EntityStatus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.MongoDBContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The same scenarios against a real single-node MongoDB replica set (replaces, documentKey and
 * post-batch resume tokens as MongoDB sends them), plus the database-level stream. Skips cleanly
 * where no Docker engine runs.
 */
@Testcontainers(disabledWithoutDocker = true)
class ListenerMongoReplicaSetIT extends ListenerScenarios {

  @Container static final MongoDBContainer MONGO = new MongoDBContainer("mongo:7");

  @BeforeAll
  static void start() {
    // getReplicaSetUrl() names the database "test"; the listener reads the database from the path
    startServers(MONGO.getReplicaSetUrl("app"));
  }

  @AfterAll
  static void done() {
    // the container is stopped by the Testcontainers extension
  }

  @Test
  void databaseScopeStreamsEveryWatchedCollectionThroughOneStream() {
    createEntity(vertx, "db_a", "db_a_src", "name:Text", "n:Integer");
    createEntity(vertx, "db_b", "db_b_src", "name:Text", "n:Integer");
    JsonObject root = listenerConfig(mongoUrl);
    root.getJsonObject("listener").put("watch_scope", "database");
    listenerId = deployListener(vertx, root);
    awaitStatus(vertx, "db_a", EntityStatus.live);
    awaitStatus(vertx, "db_b", EntityStatus.live);

    insert("db_a_src", doc("a1", "A", 1));
    insert("db_unwatched", doc("u1", "U", 1));
    insert("db_b_src", doc("b1", "B", 2));
    Awaitility.await()
        .atMost(Duration.ofSeconds(TIMEOUT_S))
        .until(() -> oplog(vertx, "db_a").size() == 1 && oplog(vertx, "db_b").size() == 1);
    JsonArray streams = health(vertx).details().getJsonArray("streams");
    assertEquals(1, streams.size(), streams.encode());
    assertEquals("_db", streams.getJsonObject(0).getString("name"));

    // an entity on a new collection joins the same stream
    createEntity(vertx, "db_c", "db_c_src", "name:Text", "n:Integer");
    awaitStatus(vertx, "db_c", EntityStatus.live);
    insert("db_c_src", doc("c1", "C", 3));
    awaitConverged("db_c", "db_c_src");
    awaitConverged("db_a", "db_a_src");
    assertTrue(
        health(vertx)
            .details()
            .getJsonArray("streams")
            .getJsonObject(0)
            .getJsonArray("collections")
            .contains("db_c_src"));
  }
}
