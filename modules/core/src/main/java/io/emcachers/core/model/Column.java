package io.emcachers.core.model;

import io.vertx.core.json.JsonObject;

/**
 * One cached column: its name in SQLite, its type, the dotted field path in the source doc, and
 * whether it is kept in the cache's full-text table ({@code search}, Text columns only).
 */
public record Column(String name, DataType type, String path, boolean search) {

  /** A column without full-text search. */
  public Column(String name, DataType type, String path) {
    this(name, type, path, false);
  }

  /** {@code search} is written only when true, so shapes without it keep their hash. */
  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("name", name).put("type", type.name()).put("path", path);
    if (search) {
      json.put("search", true);
    }
    return json;
  }

  /** Lenient decode of already-validated JSON; use {@code EntityValidator} for user input. */
  public static Column fromJson(JsonObject json) {
    return new Column(
        json.getString("name"),
        DataType.parseOrNull(json.getString("type")),
        json.getString("path"),
        Boolean.TRUE.equals(json.getValue("search")));
  }
}
