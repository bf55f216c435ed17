package io.emcachers.core.model;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** The projection of a source collection into cache columns. */
public record Shape(String entityName, String sourceName, List<Column> columns) {

  public Shape {
    columns = List.copyOf(columns);
  }

  public JsonObject toJson() {
    JsonArray cols = new JsonArray();
    columns.forEach(c -> cols.add(c.toJson()));
    return new JsonObject()
        .put("entity_name", entityName)
        .put("source_name", sourceName)
        .put("columns", cols);
  }

  public static Shape fromJson(JsonObject json) {
    JsonArray cols = json.getJsonArray("columns", new JsonArray());
    List<Column> list = cols.stream().map(o -> Column.fromJson((JsonObject) o)).toList();
    return new Shape(json.getString("entity_name"), json.getString("source_name"), list);
  }

  /** Stable hash of the shape's canonical JSON; caches compare it to detect shape changes. */
  public String hash() {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(toJson().encode().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
