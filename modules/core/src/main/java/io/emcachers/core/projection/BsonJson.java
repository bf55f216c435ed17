package io.emcachers.core.projection;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
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

  private static final JsonWriterSettings RELAXED =
      JsonWriterSettings.builder().outputMode(JsonMode.RELAXED).build();

  private BsonJson() {}

  /**
   * {@code value} as a relaxed-JSON value: JsonObject, JsonArray, String, Number, Boolean or null.
   */
  public static Object toJsonValue(BsonValue value) {
    if (value == null || value.isNull()) {
      return null;
    }
    return parse(value, relaxedText(value));
  }

  /** A relaxed-JSON value and whether a U+0000 in one of its strings or keys was replaced. */
  record NulFree(Object value, boolean replaced) {}

  /**
   * {@link #toJsonValue} with every U+0000 in a string or an object key (at any depth,
   * extended-JSON wrappers such as {@code $regularExpression} included) replaced by {@link
   * Coercion#NUL_REPLACEMENT}.
   */
  static NulFree toJsonValueNulFree(BsonValue value) {
    if (value == null || value.isNull()) {
      return new NulFree(null, false);
    }
    boolean[] replaced = new boolean[1];
    Object json = direct(value, replaced);
    return new NulFree(json, replaced[0]);
  }

  /**
   * The relaxed-JSON value of {@code value} built without writing and parsing text, for the types
   * whose relaxed form is plain JSON (documents, arrays, strings, booleans, int32/int64, finite
   * doubles, null), numbers as the narrowest of Integer/Long/Double as a parse of the text gives;
   * any other value goes the text way ({@link #viaText}). U+0000 in strings and keys is replaced.
   */
  private static Object direct(BsonValue value, boolean[] replaced) {
    switch (value.getBsonType()) {
      case NULL:
        return null;
      case DOCUMENT:
        {
          JsonObject out = new JsonObject();
          for (Map.Entry<String, BsonValue> e : value.asDocument().entrySet()) {
            out.put(nulFree(e.getKey(), replaced), direct(e.getValue(), replaced));
          }
          return out;
        }
      case ARRAY:
        {
          org.bson.BsonArray in = value.asArray();
          JsonArray out = new JsonArray(new java.util.ArrayList<>(in.size()));
          for (BsonValue element : in) {
            out.add(direct(element, replaced));
          }
          return out;
        }
      case STRING:
        return nulFree(value.asString().getValue(), replaced);
      case BOOLEAN:
        return value.asBoolean().getValue();
      case INT32:
        return value.asInt32().getValue();
      case INT64:
        {
          long l = value.asInt64().getValue();
          return l == (int) l ? (Object) (int) l : (Object) l;
        }
      case DOUBLE:
        {
          double d = value.asDouble().getValue();
          if (Double.isFinite(d)) {
            return d;
          }
          return viaText(value, replaced);
        }
      default:
        return viaText(value, replaced);
    }
  }

  private static String nulFree(String s, boolean[] replaced) {
    String clean = Coercion.replaceNul(s);
    replaced[0] |= clean != s;
    return clean;
  }

  /** The relaxed-JSON value of {@code value} written as text and parsed, NUL-free. */
  private static Object viaText(BsonValue value, boolean[] replaced) {
    String text = relaxedText(value);
    Object json = parse(value, text);
    // the writer escapes U+0000 as backslash-u-0000: text without that sequence holds no NUL (a hit
    // may also be an escaped backslash followed by "u0000", so the walk decides)
    if (text.indexOf("\\u0000") < 0) {
      return json;
    }
    return replaceNul(json, replaced);
  }

  private static String relaxedText(BsonValue value) {
    return value.isDocument()
        ? value.asDocument().toJson(RELAXED)
        : new BsonDocument("v", value).toJson(RELAXED);
  }

  private static Object parse(BsonValue value, String text) {
    JsonObject json = new JsonObject(text);
    return value.isDocument() ? json : json.getValue("v");
  }

  private static Object replaceNul(Object json, boolean[] replaced) {
    if (json instanceof String s) {
      String clean = Coercion.replaceNul(s);
      replaced[0] |= clean != s;
      return clean;
    }
    if (json instanceof JsonObject o) {
      JsonObject out = new JsonObject();
      for (Map.Entry<String, Object> e : o) {
        out.put((String) replaceNul(e.getKey(), replaced), replaceNul(e.getValue(), replaced));
      }
      return out;
    }
    if (json instanceof JsonArray a) {
      JsonArray out = new JsonArray();
      for (Object element : a) {
        out.add(replaceNul(element, replaced));
      }
      return out;
    }
    return json;
  }

  /** A BSON document as a relaxed-JSON object. */
  public static JsonObject toJsonObject(BsonDocument document) {
    return document == null ? null : new JsonObject(document.toJson(RELAXED));
  }

  /**
   * {@code {"v": relaxed JSON of value}}: the form scan progress and resume positions travel in.
   */
  public static JsonObject wrap(BsonValue value) {
    JsonObject json = new JsonObject().put("v", toJsonValue(value));
    if (json.encode().contains("\\u0000")) {
      // PostgreSQL jsonb cannot hold U+0000 (e.g. a string _id with a NUL): keep the exact value as
      // BSON bytes
      org.bson.io.BasicOutputBuffer out = new org.bson.io.BasicOutputBuffer();
      new org.bson.codecs.BsonDocumentCodec()
          .encode(
              new org.bson.BsonBinaryWriter(out),
              new BsonDocument("v", value),
              org.bson.codecs.EncoderContext.builder().build());
      return new JsonObject()
          .put("bson", java.util.Base64.getEncoder().encodeToString(out.toByteArray()));
    }
    return json;
  }

  /**
   * Inverse of {@link #wrap}: the BSON value held in {@code {"v": ...}} (or {@code {"bson":
   * base64}}), or null when absent.
   */
  public static BsonValue unwrap(JsonObject wrapped) {
    if (wrapped != null && wrapped.getValue("bson") instanceof String b64) {
      return new org.bson.RawBsonDocument(java.util.Base64.getDecoder().decode(b64)).get("v");
    }
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
