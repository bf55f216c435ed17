package io.emcachers.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The synthetic data every stage uses, deterministic by index: the same documents feed the raw
 * limits, the ingest stage (as projected oplog entries), the snapshot (as MongoDB documents) and
 * the cache rows, so every stage moves the same bytes.
 *
 * <p>Shape of the benchmark entity (7 columns, one of each common type): {@code id Text <- _id,
 * name Text, email Text, age Integer, score Number, active Bool, profile JSONB}. The source
 * document carries one more field ({@code bio}, about 120 bytes) that the projection drops.
 */
final class Docs {

  private Docs() {}

  static final String DOCS_COLLECTION = "bench_docs";
  static final String STREAM_COLLECTION = "bench_stream";

  /** The pipeline-latency stage's collection: scanned once, then changed by a synthetic source. */
  static final String SYNTHETIC_COLLECTION = "bench_synthetic";

  /** The verify stage's own collection, when its size differs from the snapshot's. */
  static final String VERIFY_COLLECTION = "bench_verify";

  private static final String[] CITIES = {
    "Lisbon", "Oslo", "Austin", "Kyoto", "Lagos", "Lima", "Perth", "Quebec"
  };
  private static final String BIO =
      "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.";

  /**
   * SQLite column declarations of the cache table, in shape order (Text→TEXT, Integer→INTEGER,
   * Number→REAL, Bool→INTEGER, JSONB→TEXT).
   */
  static final List<String[]> COLUMNS =
      List.of(
          new String[] {"id", "Text", "_id", "TEXT"},
          new String[] {"name", "Text", "name", "TEXT"},
          new String[] {"email", "Text", "email", "TEXT"},
          new String[] {"age", "Integer", "age", "INTEGER"},
          new String[] {"score", "Number", "score", "REAL"},
          new String[] {"active", "Bool", "active", "INTEGER"},
          new String[] {"profile", "JSONB", "profile", "TEXT"});

  /**
   * {@code d} and the index zero-padded to 9 digits (no String.format: the ingest source generates
   * these on the hot path).
   */
  static String docId(long i) {
    return pad('d', i, 9);
  }

  private static String pad(char prefix, long i, int width) {
    String digits = Long.toString(i);
    StringBuilder sb = new StringBuilder(width + 1).append(prefix);
    for (int k = digits.length(); k < width; k++) {
      sb.append('0');
    }
    return sb.append(digits).toString();
  }

  static String name(long i) {
    return "user-" + i;
  }

  static String email(long i) {
    return "user" + i + "@example.com";
  }

  static int age(long i) {
    return (int) (18 + (i * 7) % 70);
  }

  static double score(long i) {
    return ((i * 37) % 10_000) / 100.0;
  }

  static boolean active(long i) {
    return (i & 1) == 0;
  }

  static String city(long i) {
    return CITIES[(int) (i % CITIES.length)];
  }

  static int tier(long i) {
    return (int) (i % 5);
  }

  /** The profile sub-document as compact JSON text, the form a JSONB column holds. */
  static String profileJson(long i) {
    return "{\"city\":\"" + city(i) + "\",\"tier\":" + tier(i) + "}";
  }

  /** The projected columns of document {@code i}: what an oplog row's {@code data} holds. */
  static JsonObject projected(long i) {
    return new JsonObject()
        .put("id", docId(i))
        .put("name", name(i))
        .put("email", email(i))
        .put("age", age(i))
        .put("score", score(i))
        .put("active", active(i))
        .put("profile", new JsonObject().put("city", city(i)).put("tier", tier(i)));
  }

  /** {@link #projected} as JSON text, built without a JSON library (for the COPY ceiling). */
  static void appendProjectedJson(StringBuilder sb, long i) {
    sb.append("{\"id\":\"")
        .append(docId(i))
        .append("\",\"name\":\"")
        .append(name(i))
        .append("\",\"email\":\"")
        .append(email(i))
        .append("\",\"age\":")
        .append(age(i))
        .append(",\"score\":")
        .append(score(i))
        .append(",\"active\":")
        .append(active(i))
        .append(",\"profile\":")
        .append(profileJson(i))
        .append('}');
  }

  static String bio() {
    return BIO;
  }

  /**
   * The entity definition (the design notes' format) of a benchmark entity over {@code collection}.
   */
  static JsonObject entityDefinition(String name, String collection) {
    JsonArray cols = new JsonArray();
    for (String[] c : COLUMNS) {
      cols.add(new JsonObject().put("name", c[0]).put("type", c[1]).put("path", c[2]));
    }
    return new JsonObject()
        .put("name", name)
        .put(
            "shape",
            new JsonObject()
                .put("entity_name", name)
                .put("source_name", collection)
                .put("columns", cols));
  }

  /** The streaming entity: the doc id, the change's sequence number, and a payload. */
  static JsonObject streamEntityDefinition(String name, String collection) {
    JsonArray cols =
        new JsonArray()
            .add(new JsonObject().put("name", "id").put("type", "Text").put("path", "_id"))
            .add(new JsonObject().put("name", "seq").put("type", "Integer").put("path", "seq"))
            .add(new JsonObject().put("name", "name").put("type", "Text").put("path", "name"))
            .add(new JsonObject().put("name", "score").put("type", "Number").put("path", "score"));
    return new JsonObject()
        .put("name", name)
        .put(
            "shape",
            new JsonObject()
                .put("entity_name", name)
                .put("source_name", collection)
                .put("columns", cols));
  }

  static String streamDocId(long k) {
    return pad('s', k, 6);
  }
}
