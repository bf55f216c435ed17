package io.emcachers.core.validation;

import io.vertx.core.json.JsonObject;

/** One precise validation failure: the JSON path of the offending field and what is wrong. */
public record FieldError(String field, String message) {

  public JsonObject toJson() {
    return new JsonObject().put("field", field).put("message", message);
  }

  public static FieldError fromJson(JsonObject json) {
    return new FieldError(json.getString("field"), json.getString("message"));
  }

  @Override
  public String toString() {
    return field + ": " + message;
  }
}
