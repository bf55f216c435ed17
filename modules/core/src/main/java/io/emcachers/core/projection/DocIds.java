package io.emcachers.core.projection;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.UUID;
import org.bson.BsonBinary;
import org.bson.BsonBoolean;
import org.bson.BsonDateTime;
import org.bson.BsonDecimal128;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt64;
import org.bson.BsonNull;
import org.bson.BsonObjectId;
import org.bson.BsonString;
import org.bson.BsonValue;
import org.bson.UuidRepresentation;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;

/**
 * The oplog's {@code doc_id} (and a cache's {@code _doc_id}) text of a document's {@code _id}. The
 * mapping is injective: two {@code _id}s that MongoDB tells apart never share a doc id, and
 * numerically equal numbers (which MongoDB treats as the same {@code _id}) share one. No doc id
 * contains U+0000. Rule {@value #RULE_VERSION}:
 *
 * <ul>
 *   <li>string {@code s}: {@code s} itself, unless {@code s} is empty, starts with {@code ~}, is 24
 *       lowercase hex digits ({@code ^[0-9a-f]{24}$}) or contains U+0000; those become {@code "~s:"
 *       + s} with every {@code \} replaced by {@code \\} and every U+0000 by {@code \0};
 *   <li>ObjectId: its 24 lowercase hex digits;
 *   <li>int32, int64, double, Decimal128: {@code "~n:" + N}, N = {@code NaN}, {@code Infinity},
 *       {@code -Infinity}, or the exact value ({@code new BigDecimal(double)}, {@code
 *       Decimal128.bigDecimalValue()}; negative zero is 0) with trailing zeros stripped: {@code 0}
 *       for zero, plain integer digits for an integral value below 10^40 in absolute value, {@code
 *       BigDecimal.toString()} otherwise (int32 1, int64 1, 1.0 and Decimal128 1.0 all give {@code
 *       ~n:1}; double 0.1 gives {@code
 *       ~n:0.1000000000000000055511151231257827021181583404541015625}, Decimal128 0.1 gives {@code
 *       ~n:0.1});
 *   <li>boolean: {@code ~b:true} / {@code ~b:false};
 *   <li>date: {@code "~d:" +} ISO-8601 UTC with exactly three fraction digits ({@code
 *       ~d:2024-01-02T03:04:05.006Z});
 *   <li>binary subtype 4 of 16 bytes: {@code "~u:" +} the canonical lowercase UUID;
 *   <li>null and undefined: {@code ~null};
 *   <li>anything else (documents, arrays, other binaries, timestamps, regexes, min/max key, symbol,
 *       JavaScript…): {@code "~j:" + new BsonDocument("v", id).toJson(canonical)}, canonical being
 *       MongoDB's canonical Extended JSON ({@link JsonMode#EXTENDED}), e.g. {@code ~j:{"v": {"a":
 *       {"$numberInt": "1"}}}}.
 * </ul>
 */
public final class DocIds {

  /**
   * Version of the rule above. Caches store it with their rows: a cache (or oplog) written under
   * another version holds doc ids of another rule and must be rebuilt, its entities re-scanned.
   * Version 1 mapped strings, numbers, booleans, dates, UUIDs and documents to overlapping texts
   * ({@code 1} and {@code "1"} both gave {@code 1}).
   */
  public static final int RULE_VERSION = 2;

  /** 24 lowercase hex digits: an ObjectId's doc id (a loop: this runs for every document). */
  static boolean isObjectIdText(String s) {
    if (s.length() != 24) {
      return false;
    }
    for (int i = 0; i < 24; i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  private static final BigDecimal TEN_40 = BigDecimal.TEN.pow(40);
  private static final JsonWriterSettings CANONICAL =
      JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED).build();

  private DocIds() {}

  /**
   * The doc id of {@code id} (see the class comment).
   *
   * @throws IllegalArgumentException when {@code id} is Java null (the document has no {@code _id})
   */
  public static String docId(BsonValue id) {
    if (id == null) {
      throw new IllegalArgumentException("document has no _id");
    }
    return switch (id.getBsonType()) {
      case STRING -> string(id.asString().getValue());
      case OBJECT_ID -> id.asObjectId().getValue().toHexString();
      case INT32, INT64, DOUBLE, DECIMAL128 -> "~n:" + number(id);
      case BOOLEAN -> id.asBoolean().getValue() ? "~b:true" : "~b:false";
      case DATE_TIME -> "~d:" + Coercion.isoMillis(id.asDateTime().getValue());
      case NULL, UNDEFINED -> "~null";
      case BINARY -> {
        String uuid = Coercion.uuidOrNull(id.asBinary());
        yield uuid != null ? "~u:" + uuid : json(id);
      }
      default -> json(id);
    };
  }

  /**
   * The inverse of {@link #docId}: a {@code _id} value whose doc id is {@code docId}, for a MongoDB
   * {@code {_id: {$in: [...]}}} lookup. {@code docId(toBson(d)).equals(d)} for every doc id {@code
   * d} the rule produces. Numbers: an integral value within the long range gives an int64 (MongoDB
   * matches it against int32, int64, double and Decimal128 {@code _id}s of that value alike), a
   * value a double holds exactly a double, any other a Decimal128; NaN and ±Infinity a double.
   * Strings are unescaped ({@code ~s:}), 24 lowercase hex digits give an ObjectId, {@code ~null}
   * null, {@code ~j:} the value of the parsed canonical Extended JSON {@code {"v": ...}}.
   *
   * @throws IllegalArgumentException when {@code docId} is null or not a text the rule produces
   */
  public static BsonValue toBson(String docId) {
    if (docId == null) {
      throw new IllegalArgumentException("doc id is required");
    }
    if (docId.isEmpty() || docId.charAt(0) != '~') {
      if (docId.isEmpty() || docId.indexOf('\u0000') >= 0) {
        throw notADocId(docId, "empty or contains U+0000");
      }
      return isObjectIdText(docId) ? new BsonObjectId(new ObjectId(docId)) : new BsonString(docId);
    }
    if (docId.equals("~null")) {
      return BsonNull.VALUE;
    }
    if (docId.equals("~b:true") || docId.equals("~b:false")) {
      return BsonBoolean.valueOf(docId.equals("~b:true"));
    }
    if (docId.length() < 3 || docId.charAt(2) != ':') {
      throw notADocId(docId, "unknown prefix");
    }
    String rest = docId.substring(3);
    try {
      BsonValue v =
          switch (docId.substring(0, 3)) {
            case "~s:" -> new BsonString(unescape(docId, rest));
            case "~n:" -> numberValue(docId, rest);
            case "~d:" ->
                new BsonDateTime(Instant.from(Coercion.ISO_MILLIS.parse(rest)).toEpochMilli());
            case "~u:" -> new BsonBinary(UUID.fromString(rest), UuidRepresentation.STANDARD);
            case "~j:" -> {
              BsonDocument doc = BsonDocument.parse(rest);
              if (doc.size() != 1 || !doc.containsKey("v")) {
                throw notADocId(docId, "extended JSON must be {\"v\": ...}");
              }
              yield doc.get("v");
            }
            default -> throw notADocId(docId, "unknown prefix");
          };
      if (!docId(v).equals(docId)) {
        throw notADocId(docId, "not in the canonical form of rule " + RULE_VERSION);
      }
      return v;
    } catch (DateTimeParseException | NumberFormatException | org.bson.BSONException e) {
      throw notADocId(docId, e.getMessage());
    } catch (org.bson.json.JsonParseException e) {
      throw notADocId(docId, e.getMessage());
    }
  }

  private static BsonValue numberValue(String docId, String n) {
    switch (n) {
      case "NaN":
        return new BsonDouble(Double.NaN);
      case "Infinity":
        return new BsonDouble(Double.POSITIVE_INFINITY);
      case "-Infinity":
        return new BsonDouble(Double.NEGATIVE_INFINITY);
      default:
        break;
    }
    BigDecimal bd = new BigDecimal(n);
    if (bd.signum() == 0 || bd.stripTrailingZeros().scale() <= 0) {
      BigInteger bi = bd.toBigInteger();
      if (bi.bitLength() < 64) {
        return new BsonInt64(bi.longValue());
      }
    }
    double d = bd.doubleValue();
    if (Double.isFinite(d) && number(new BsonDouble(d)).equals(n)) {
      return new BsonDouble(d);
    }
    return new BsonDecimal128(new Decimal128(bd));
  }

  private static String unescape(String docId, String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      char next = i + 1 < s.length() ? s.charAt(i + 1) : ' ';
      if (next == '\\') {
        sb.append('\\');
      } else if (next == '0') {
        sb.append('\u0000');
      } else {
        throw notADocId(docId, "bad escape at " + (i + 3));
      }
      i++;
    }
    return sb.toString();
  }

  private static IllegalArgumentException notADocId(String docId, String why) {
    return new IllegalArgumentException("not a doc id of rule " + RULE_VERSION + ": " + why);
  }

  private static String string(String s) {
    if (!s.isEmpty() && s.charAt(0) != '~' && s.indexOf('\u0000') < 0 && !isObjectIdText(s)) {
      return s;
    }
    StringBuilder sb = new StringBuilder(s.length() + 8).append("~s:");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\') {
        sb.append("\\\\");
      } else if (c == '\u0000') {
        sb.append("\\0");
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private static String number(BsonValue id) {
    BigDecimal bd;
    switch (id.getBsonType()) {
      case INT32:
        bd = BigDecimal.valueOf(id.asInt32().getValue());
        break;
      case INT64:
        bd = BigDecimal.valueOf(id.asInt64().getValue());
        break;
      case DOUBLE:
        {
          double d = id.asDouble().getValue();
          if (Double.isNaN(d)) {
            return "NaN";
          }
          if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
          }
          bd = new BigDecimal(d);
          break;
        }
      default:
        {
          Decimal128 dec = id.asDecimal128().getValue();
          if (dec.isNaN()) {
            return "NaN";
          }
          if (dec.isInfinite()) {
            return dec.isNegative() ? "-Infinity" : "Infinity";
          }
          try {
            bd = dec.bigDecimalValue();
          } catch (ArithmeticException negativeZero) {
            bd = BigDecimal.ZERO;
          }
        }
    }
    if (bd.signum() == 0) {
      return "0";
    }
    bd = bd.stripTrailingZeros();
    if (bd.scale() <= 0 && bd.abs().compareTo(TEN_40) < 0) {
      return bd.toBigInteger().toString();
    }
    return bd.toString();
  }

  private static String json(BsonValue id) {
    return "~j:" + new BsonDocument("v", id).toJson(CANONICAL);
  }
}
