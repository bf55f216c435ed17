package io.emcachers.listener;

import static io.emcachers.testsupport.Await.await;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.messages.EntityNameRequest;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.EntityUpsertRequest;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.core.messages.OplogReadReply;
import io.emcachers.core.messages.OplogReadRequest;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.model.Operation;
import io.emcachers.core.model.Oplog;
import io.emcachers.testsupport.TestRoots;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.MongoClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;

/**
 * Helpers shared by the listener tests: bus calls, entity definitions, reading the oplog back.
 * Waiting, root configs and Vert.x instances come from the test-support module.
 */
final class ListenerTestSupport {

  static final long TIMEOUT_S = 60;

  private ListenerTestSupport() {}

  /** Root config for a listener on {@code mongoUrl} with fast test timings. */
  static JsonObject listenerConfig(String mongoUrl) {
    return TestRoots.node("test-node").listener(mongoUrl).build();
  }

  static String deployListener(Vertx vertx, JsonObject root) {
    return await(
        vertx.deployVerticle(new ListenerVerticle(), new DeploymentOptions().setConfig(root)));
  }

  /** An entity definition whose columns are {@code name:Type:path} triples. */
  static JsonObject definition(String name, String source, String... columns) {
    JsonArray cols = new JsonArray();
    for (String c : columns) {
      String[] p = c.split(":");
      cols.add(
          new JsonObject()
              .put("name", p[0])
              .put("type", p[1])
              .put("path", p.length > 2 ? p[2] : p[0]));
    }
    return new JsonObject()
        .put("name", name)
        .put(
            "shape",
            new JsonObject()
                .put("entity_name", name)
                .put("source_name", source)
                .put("columns", cols));
  }

  static Entity createEntity(Vertx vertx, String name, String source, String... columns) {
    return await(
            Bus.request(
                vertx.eventBus(),
                Addresses.ENTITIES_CREATE,
                new EntityUpsertRequest(definition(name, source, columns)),
                EntityReply.class))
        .entity();
  }

  static Entity entity(Vertx vertx, String name) {
    return await(
            Bus.request(
                vertx.eventBus(),
                Addresses.ENTITIES_GET,
                new EntityNameRequest(name),
                EntityReply.class))
        .entity();
  }

  static void awaitStatus(Vertx vertx, String name, EntityStatus status) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(TIMEOUT_S))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> entity(vertx, name).status() == status);
  }

  static HealthReply health(Vertx vertx) {
    return await(
        Bus.request(
            vertx.eventBus(), Addresses.LISTENER_HEALTH, new HealthRequest(), HealthReply.class));
  }

  /** Every oplog row of {@code entity}, in id order. */
  static List<Oplog> oplog(Vertx vertx, String entity) {
    List<Oplog> rows = new ArrayList<>();
    long after = 0;
    while (true) {
      OplogReadReply reply =
          await(
              Bus.request(
                  vertx.eventBus(),
                  Addresses.OPLOG_READ,
                  new OplogReadRequest(after, 5000, List.of(entity)),
                  OplogReadReply.class));
      rows.addAll(reply.rows());
      if (reply.rows().isEmpty() || reply.nextAfter() == after) {
        return rows;
      }
      after = reply.nextAfter();
    }
  }

  /** What a cache of {@code entity} holds after applying its oplog rows in order: doc id → data. */
  static Map<String, JsonObject> cacheOf(Vertx vertx, String entity) {
    Map<String, JsonObject> cache = new LinkedHashMap<>();
    for (Oplog row : oplog(vertx, entity)) {
      if (row.operation() == Operation.Upsert) {
        cache.put(row.docId(), row.data());
      } else {
        cache.remove(row.docId());
      }
    }
    return cache;
  }

  /**
   * Every document of {@code collection}, keyed by its _id as text (tests use string/number _ids).
   */
  static Map<String, JsonObject> source(MongoClient mongo, String collection) {
    Map<String, JsonObject> docs = new LinkedHashMap<>();
    for (JsonObject d : await(mongo.find(collection, new JsonObject()))) {
      docs.put(String.valueOf(d.getValue("_id")), d);
    }
    return docs;
  }
}
