package io.emcachers.core.projection;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;

/**
 * BSON ⇄ JSON in MongoDB's <em>relaxed</em> Extended JSON (v2): plain JSON for strings, booleans,
 * int32/int64/finite doubles, documents and arrays; {@code {"$oid": ..}}, {@code {"$date": ..}},
 * {@code {"$numberDecimal": ..}}, {@code {"$binary": {..}}} and so on for the other types. The
 * round trip is exact except that numbers come back as the narrowest of int32/int64/double.
 */
public final class BsonJson {

  private static final JsonWriterSettings RELAXED = JsonWriterSettings.builder().outputMode(JsonMode.RELAXED).build();

  private BsonJson() {}

  /** {@code value} as a relaxed-JSON value: JsonObject, JsonArray, String, Number, Boolean or null. */
  public static Object toJsonValue(BsonValue value) {
    if (value == null || value.isNull()) {
      return null;
    }
    if (value.isDocument()) {
      return new JsonObject(value.asDocument().toJson(RELAXED));
    }
    JsonObject wrapped = new JsonObject(new BsonDocument("v", value).toJson(RELAXED));
    return wrapped.getValue("v");
  }

  /** A BSON document as a relaxed-JSON object. */
  public static JsonObject toJsonObject(BsonDocument document) {
    return document == null ? null : new JsonObject(document.toJson(RELAXED));
  }

  /** {@code {"v": relaxed JSON of value}}: the form scan progress and resume positions travel in. */
  public static JsonObject wrap(BsonValue value) {
    return new JsonObject().put("v", toJsonValue(value));
  }

  /** Inverse of {@link #wrap}: the BSON value held in {@code {"v": ...}}, or null when absent. */
  public static BsonValue unwrap(JsonObject wrapped) {
    if (wrapped == null || !wrapped.containsKey("v")) {
      return null;
    }
    return BsonDocument.parse(new JsonObject().put("v", wrapped.getValue("v")).encode()).get("v");
  }

  /** Parses a relaxed- or canonical-JSON object into BSON. */
  public static BsonDocument toBson(JsonObject json) {
    return json == null ? null : BsonDocument.parse(json.encode());
  }

  /** Relaxed JSON of an array. */
  public static JsonArray toJsonArray(BsonValue array) {
    return (JsonArray) toJsonValue(array);
  }
}
