package io.emcachers.core.model;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * One secondary index of a cache table: the shape columns it covers, in order, and whether it is
 * unique. Caches create it after a rebuild's bulk load; a unique index the data violates fails the
 * rebuild (the old file keeps serving).
 */
public record IndexDef(List<String> columns, boolean unique) {

  public IndexDef {
    columns = List.copyOf(columns);
  }

  /** Canonical JSON: {@code unique} is always written, so the shape hash does not depend on it. */
  public JsonObject toJson() {
    return new JsonObject().put("columns", new JsonArray(columns)).put("unique", unique);
  }

  /** Lenient decode of already-validated JSON; use {@code EntityValidator} for user input. */
  public static IndexDef fromJson(JsonObject json) {
    JsonArray cols = json.getJsonArray("columns", new JsonArray());
    return new IndexDef(
        cols.stream().map(String::valueOf).toList(), json.getBoolean("unique", false));
  }
}
