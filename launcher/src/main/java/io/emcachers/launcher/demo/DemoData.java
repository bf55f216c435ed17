package io.emcachers.launcher.demo;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.MongoClient;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code --demo} sample: a small {@code demo_users} collection and the entity that caches it.
 */
public final class DemoData {

  public static final String COLLECTION = "demo_users";
  public static final int DOCS = 200;

  private DemoData() {}

  public static JsonObject entity() {
    return new JsonObject()
        .put("name", "demo_users")
        .put(
            "shape",
            new JsonObject()
                .put("entity_name", "DemoUser")
                .put("source_name", COLLECTION)
                .put(
                    "columns",
                    new JsonArray()
                        .add(col("id", "Text", "_id"))
                        .add(col("name", "Text", "name"))
                        .add(col("email", "Text", "email"))
                        .add(col("age", "Integer", "age"))
                        .add(col("active", "Bool", "active"))
                        .add(col("tags", "JSONB", "tags"))));
  }

  private static JsonObject col(String name, String type, String path) {
    return new JsonObject().put("name", name).put("type", type).put("path", path);
  }

  /**
   * Inserts the sample documents unless the collection already has some. Returns how many were
   * inserted.
   */
  public static Future<Integer> load(Vertx vertx, String mongoUrl) {
    MongoClient client =
        MongoClient.createShared(
            vertx, new JsonObject().put("connection_string", mongoUrl), "emc-demo");
    return client
        .count(COLLECTION, new JsonObject())
        .compose(
            n -> {
              if (n > 0) {
                return Future.succeededFuture(0);
              }
              List<Future<?>> inserts = new ArrayList<>();
              for (int i = 1; i <= DOCS; i++) {
                JsonObject doc =
                    new JsonObject()
                        .put("_id", String.format("user-%04d", i))
                        .put("name", "User " + i)
                        .put("email", "user" + i + "@example.com")
                        .put("age", 18 + (i % 60))
                        .put("active", i % 3 != 0)
                        .put("tags", new JsonArray().add(i % 2 == 0 ? "even" : "odd").add("demo"));
                inserts.add(client.insert(COLLECTION, doc));
              }
              return Future.all(inserts).map(DOCS);
            })
        .eventually(client::close);
  }
}
