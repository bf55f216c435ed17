package io.emcachers.core.model;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The projection of a source collection into cache columns, plus what the cache keeps besides the
 * rows: secondary {@code indexes}, and the {@code filter} (a MongoDB query document, see {@code
 * io.emcachers.core.filter}; null: every document) that selects the documents of the entity.
 *
 * <p>The filter is kept with its keys sorted at every level: PostgreSQL's jsonb reorders keys, and
 * the hash must not change on the way through the entity store. Sorting changes no meaning, because
 * the validator refuses the only order-sensitive filter values (embedded document literals).
 */
public record Shape(
    String entityName,
    String sourceName,
    List<Column> columns,
    List<IndexDef> indexes,
    JsonObject filter) {

  public Shape {
    columns = List.copyOf(columns);
    indexes = indexes == null ? List.of() : List.copyOf(indexes);
    filter = filter == null ? null : sorted(filter);
  }

  /** A shape without indexes and without a filter. */
  public Shape(String entityName, String sourceName, List<Column> columns) {
    this(entityName, sourceName, columns, List.of(), null);
  }

  /** The columns marked {@code search}, in shape order. */
  public List<Column> searchColumns() {
    return columns.stream().filter(Column::search).toList();
  }

  /**
   * {@code indexes} and {@code filter} are written only when present: older shapes keep their hash.
   */
  public JsonObject toJson() {
    JsonArray cols = new JsonArray();
    columns.forEach(c -> cols.add(c.toJson()));
    JsonObject json =
        new JsonObject()
            .put("entity_name", entityName)
            .put("source_name", sourceName)
            .put("columns", cols);
    if (!indexes.isEmpty()) {
      JsonArray ix = new JsonArray();
      indexes.forEach(i -> ix.add(i.toJson()));
      json.put("indexes", ix);
    }
    if (filter != null) {
      json.put("filter", filter.copy());
    }
    return json;
  }

  public static Shape fromJson(JsonObject json) {
    JsonArray cols = json.getJsonArray("columns", new JsonArray());
    List<Column> list = cols.stream().map(o -> Column.fromJson((JsonObject) o)).toList();
    JsonArray ix = json.getJsonArray("indexes", new JsonArray());
    List<IndexDef> indexes = ix.stream().map(o -> IndexDef.fromJson((JsonObject) o)).toList();
    return new Shape(
        json.getString("entity_name"),
        json.getString("source_name"),
        list,
        indexes,
        json.getJsonObject("filter"));
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

  private static JsonObject sorted(JsonObject o) {
    Map<String, Object> out = new TreeMap<>();
    o.getMap().forEach((k, v) -> out.put(k, sortedValue(v)));
    return new JsonObject(new java.util.LinkedHashMap<>(out));
  }

  private static Object sortedValue(Object v) {
    if (v instanceof JsonObject jo) {
      return sorted(jo);
    }
    if (v instanceof Map<?, ?> m) {
      return sorted(new JsonObject(castMap(m)));
    }
    if (v instanceof JsonArray ja) {
      List<Object> items = new ArrayList<>();
      ja.forEach(x -> items.add(sortedValue(x)));
      return new JsonArray(items);
    }
    if (v instanceof List<?> l) {
      return sortedValue(new JsonArray(new ArrayList<>(l)));
    }
    return v;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Map<?, ?> m) {
    return (Map<String, Object>) m;
  }
}
