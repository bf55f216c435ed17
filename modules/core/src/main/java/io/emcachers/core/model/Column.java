package io.emcachers.core.model;

import io.vertx.core.json.JsonObject;

/** One cached column: its name in SQLite, its type, and the dotted field path in the source doc. */
public record Column(String name, DataType type, String path) {

  public JsonObject toJson() {
    return new JsonObject().put("name", name).put("type", type.name()).put("path", path);
  }

  /** Lenient decode of already-validated JSON; use {@code EntityValidator} for user input. */
  public static Column fromJson(JsonObject json) {
    return new Column(
        json.getString("name"),
        DataType.parseOrNull(json.getString("type")),
        json.getString("path"));
  }
}
