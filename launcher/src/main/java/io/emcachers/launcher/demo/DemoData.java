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
 * The entity shows the shape's additions: a unique index on {@code email} and one on {@code (city,
 * age)}, a filter that leaves soft-deleted users out ({@code deleted_at} set on every 25th), and a
 * full-text {@code bio} column (with accented city names, to show diacritics folding).
 */
public final class DemoData {

  public static final String COLLECTION = "demo_users";
  public static final int DOCS = 200;

  /** Every this-many-th user is soft-deleted ({@code deleted_at} set): outside the filter. */
  public static final int SOFT_DELETED_EVERY = 25;

  private static final List<String> CITIES =
      List.of("Zürich", "São Paulo", "Kraków", "Montréal", "Oslo", "Lyon");
  private static final List<String> HOBBIES =
      List.of(
          "hiking",
          "chess",
          "jazz piano",
          "street photography",
          "sourdough baking",
          "cycling",
          "birdwatching",
          "café hopping");

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
                        .add(col("tags", "JSONB", "tags"))
                        .add(col("city", "Text", "address.city"))
                        .add(col("bio", "Text", "bio").put("search", true)))
                .put(
                    "indexes",
                    new JsonArray()
                        .add(
                            new JsonObject()
                                .put("columns", new JsonArray().add("email"))
                                .put("unique", true))
                        .add(
                            new JsonObject()
                                .put("columns", new JsonArray().add("city").add("age"))))
                .put(
                    "filter",
                    new JsonObject().put("deleted_at", new JsonObject().put("$exists", false))));
  }

  static String city(int i) {
    return CITIES.get(i % CITIES.size());
  }

  static String bio(int i) {
    return "User "
        + i
        + " enjoys "
        + HOBBIES.get(i % HOBBIES.size())
        + " and "
        + HOBBIES.get((i + 1 + (i / HOBBIES.size()) % (HOBBIES.size() - 1)) % HOBBIES.size())
        + "; lives in "
        + city(i)
        + ".";
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
                        .put("tags", new JsonArray().add(i % 2 == 0 ? "even" : "odd").add("demo"))
                        .put("address", new JsonObject().put("city", city(i)))
                        .put("bio", bio(i));
                if (i % SOFT_DELETED_EVERY == 0) {
                  doc.put("deleted_at", new JsonObject().put("$date", "2026-01-01T00:00:00Z"));
                }
                inserts.add(client.insert(COLLECTION, doc));
              }
              return Future.all(inserts).map(DOCS);
            })
        .eventually(client::close);
  }
}
