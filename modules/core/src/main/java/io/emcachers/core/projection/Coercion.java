package io.emcachers.core.projection;

import io.emcachers.core.model.DataType;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.UUID;
import org.bson.BsonBinary;
import org.bson.BsonBinarySubType;
import org.bson.BsonValue;
import org.bson.types.Decimal128;

/**
 * The coercion table: how one BSON value becomes the value of a column of a given {@link DataType}
 * in an oplog entry's {@code data}. A value that does not fit becomes null with {@link
 * Result#mismatch()} set (the listener counts and reports it; the document still replicates). A
 * missing path or an explicit BSON null is null without a mismatch.
 *
 * <p>No string in a coerced value contains U+0000 (PostgreSQL's {@code text} and {@code jsonb}
 * cannot store it): in Text values, Any strings and every string and object key inside JSONB/Any
 * values each U+0000 becomes U+FFFD ({@link #NUL_REPLACEMENT}); the value is kept and {@link
 * Result#nulReplaced()} is set (the projection reports it as a mismatch with reason {@link
 * Projection.Mismatch#NUL_REPLACED}).
 *
 * <table>
 *   <caption>coercion table</caption>
 *   <tr><th>type</th><th>accepted</th><th>becomes</th></tr>
 *   <tr><td>Text</td><td>string, symbol; ObjectId; UUID (binary subtype 4); date; int32/int64/double/Decimal128; boolean</td>
 *       <td>the string; 24-hex; canonical UUID; ISO-8601 UTC with milliseconds; decimal text; true/false</td></tr>
 *   <tr><td>Integer</td><td>int32, int64; double or Decimal128 with an integral value within int64</td><td>a long</td></tr>
 *   <tr><td>Number</td><td>any finite numeric</td><td>int32/int64 as a long, double as is, Decimal128 converted to double</td></tr>
 *   <tr><td>Bool</td><td>boolean</td><td>the boolean</td></tr>
 *   <tr><td>JSONB</td><td>anything</td><td>relaxed Extended JSON (never a mismatch)</td></tr>
 *   <tr><td>Any</td><td>anything</td><td>scalars as they are (see {@link #coerceAny}), documents and arrays as relaxed JSON (never a mismatch)</td></tr>
 *   <tr><td>Text, JSONB, Any</td><td>strings or keys containing U+0000</td><td>each U+0000 replaced by U+FFFD, {@link Result#nulReplaced()} set</td></tr>
 * </table>
 */
public final class Coercion {

  /**
   * What every U+0000 in a string bound for {@code data} becomes: U+FFFD, the replacement
   * character.
   */
  public static final char NUL_REPLACEMENT = '\uFFFD';

  /** ISO-8601 UTC with exactly three fraction digits: {@code 2024-01-02T03:04:05.006Z}. */
  public static final DateTimeFormatter ISO_MILLIS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private static final double TWO_63 = 9.223372036854775808E18;
  private static final BigDecimal LONG_MIN = BigDecimal.valueOf(Long.MIN_VALUE);
  private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);
  private static final int MAX_PLAIN_SCALE = 100;
  private static final Result NULL = new Result(null, false);
  private static final Result MISMATCH = new Result(null, true);
  private static final Result TRUE = new Result(true, false);
  private static final Result FALSE = new Result(false, false);

  private Coercion() {}

  /**
   * A coerced value (JSON-compatible: String, Long, Double, Boolean, JsonObject, JsonArray or
   * null). {@code mismatch}: the value did not fit and became null. {@code nulReplaced}: the value
   * is kept but at least one U+0000 in it was replaced by {@link #NUL_REPLACEMENT}.
   */
  public record Result(Object value, boolean mismatch, boolean nulReplaced) {
    public Result(Object value, boolean mismatch) {
      this(value, mismatch, false);
    }
  }

  /** Coerces {@code value} (null when the path is missing) to {@code type}. */
  public static Result coerce(DataType type, BsonValue value) {
    if (value == null || value.isNull()) {
      return NULL;
    }
    return switch (type) {
      case Text -> coerceText(value);
      case Integer -> coerceInteger(value);
      case Number -> coerceNumber(value);
      case Bool -> value.isBoolean() ? (value.asBoolean().getValue() ? TRUE : FALSE) : MISMATCH;
      case JSONB -> json(value);
      case Any -> any(value);
    };
  }

  private static Result coerceText(BsonValue value) {
    String text =
        switch (value.getBsonType()) {
          case STRING -> value.asString().getValue();
          case SYMBOL -> value.asSymbol().getSymbol();
          case OBJECT_ID -> value.asObjectId().getValue().toHexString();
          case BINARY -> uuidOrNull(value.asBinary());
          case DATE_TIME -> isoMillis(value.asDateTime().getValue());
          case INT32 -> Integer.toString(value.asInt32().getValue());
          case INT64 -> Long.toString(value.asInt64().getValue());
          case DOUBLE -> doubleText(value.asDouble().getValue());
          case DECIMAL128 -> decimalText(value.asDecimal128().getValue());
          case BOOLEAN -> Boolean.toString(value.asBoolean().getValue());
          default -> null;
        };
    return text == null ? MISMATCH : string(text);
  }

  /** A string value, with U+0000 replaced (and flagged) when it holds any. */
  private static Result string(String s) {
    String clean = replaceNul(s);
    return new Result(clean, false, clean != s);
  }

  /** Relaxed JSON of a value, NUL-free. */
  private static Result json(BsonValue value) {
    BsonJson.NulFree json = BsonJson.toJsonValueNulFree(value);
    return new Result(json.value(), false, json.replaced());
  }

  /**
   * {@code s} with every U+0000 replaced by {@link #NUL_REPLACEMENT}; {@code s} itself (the same
   * instance) when it holds none.
   */
  public static String replaceNul(String s) {
    return s.indexOf('\u0000') < 0 ? s : s.replace('\u0000', NUL_REPLACEMENT);
  }

  private static Result coerceInteger(BsonValue value) {
    switch (value.getBsonType()) {
      case INT32:
        return new Result((long) value.asInt32().getValue(), false);
      case INT64:
        return new Result(value.asInt64().getValue(), false);
      case DOUBLE:
        {
          double d = value.asDouble().getValue();
          if (Double.isFinite(d) && d == Math.rint(d) && d >= -TWO_63 && d < TWO_63) {
            return new Result((long) d, false);
          }
          return MISMATCH;
        }
      case DECIMAL128:
        {
          BigDecimal bd = finiteDecimal(value.asDecimal128().getValue());
          if (bd != null
              && isIntegral(bd)
              && bd.compareTo(LONG_MIN) >= 0
              && bd.compareTo(LONG_MAX) <= 0) {
            return new Result(bd.longValueExact(), false);
          }
          return MISMATCH;
        }
      default:
        return MISMATCH;
    }
  }

  private static Result coerceNumber(BsonValue value) {
    switch (value.getBsonType()) {
      case INT32:
        return new Result((long) value.asInt32().getValue(), false);
      case INT64:
        return new Result(value.asInt64().getValue(), false);
      case DOUBLE:
        {
          double d = value.asDouble().getValue();
          return Double.isFinite(d) ? new Result(d, false) : MISMATCH;
        }
      case DECIMAL128:
        {
          BigDecimal bd = finiteDecimal(value.asDecimal128().getValue());
          if (bd == null) {
            return MISMATCH;
          }
          double d = bd.doubleValue();
          return Double.isFinite(d) ? new Result(d, false) : MISMATCH;
        }
      default:
        return MISMATCH;
    }
  }

  /**
   * The Any column: strings, booleans, int32/int64 (as long) and finite doubles as they are;
   * non-finite doubles as "NaN"/"Infinity"/"-Infinity"; Decimal128 as a double when the double
   * prints back to the same decimal value, otherwise as its decimal string; ObjectId as 24-hex;
   * dates as ISO-8601 UTC with milliseconds; UUIDs (binary subtype 4) as canonical strings;
   * documents and arrays (and any other BSON type) as relaxed Extended JSON. Every U+0000 in a
   * string or key becomes {@link #NUL_REPLACEMENT}.
   */
  public static Object coerceAny(BsonValue value) {
    if (value == null || value.isNull()) {
      return null;
    }
    return any(value).value();
  }

  private static Result any(BsonValue value) {
    return switch (value.getBsonType()) {
      case STRING -> string(value.asString().getValue());
      case SYMBOL -> string(value.asSymbol().getSymbol());
      case DOCUMENT, ARRAY -> json(value);
      case BINARY -> {
        String uuid = uuidOrNull(value.asBinary());
        yield uuid != null ? new Result(uuid, false) : json(value);
      }
      default -> {
        Object scalar = anyScalar(value);
        yield scalar != null ? new Result(scalar, false) : json(value);
      }
    };
  }

  /** Any's value of the scalar types that cannot hold a NUL, or null for every other type. */
  private static Object anyScalar(BsonValue value) {
    switch (value.getBsonType()) {
      case BOOLEAN:
        return value.asBoolean().getValue();
      case INT32:
        return (long) value.asInt32().getValue();
      case INT64:
        return value.asInt64().getValue();
      case DOUBLE:
        {
          double d = value.asDouble().getValue();
          return Double.isFinite(d) ? (Object) d : doubleText(d);
        }
      case DECIMAL128:
        {
          Decimal128 dec = value.asDecimal128().getValue();
          BigDecimal bd = finiteDecimal(dec);
          if (bd != null) {
            double d = bd.doubleValue();
            if (Double.isFinite(d) && new BigDecimal(Double.toString(d)).compareTo(bd) == 0) {
              return d;
            }
          }
          return decimalText(dec);
        }
      case OBJECT_ID:
        return value.asObjectId().getValue().toHexString();
      case DATE_TIME:
        return isoMillis(value.asDateTime().getValue());
      default:
        return null;
    }
  }

  /** ISO-8601 UTC with milliseconds of an epoch-millis instant. */
  public static String isoMillis(long epochMillis) {
    return ISO_MILLIS.format(Instant.ofEpochMilli(epochMillis));
  }

  /**
   * Decimal text of a double: shortest round-trip digits, plain notation; NaN, Infinity, -Infinity.
   */
  public static String doubleText(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    return plain(new BigDecimal(Double.toString(d)).stripTrailingZeros());
  }

  /** Decimal text of a Decimal128, keeping its digits (and scale); NaN, Infinity, -Infinity. */
  public static String decimalText(Decimal128 dec) {
    if (dec.isNaN()) {
      return "NaN";
    }
    if (dec.isInfinite()) {
      return dec.isNegative() ? "-Infinity" : "Infinity";
    }
    BigDecimal bd = finiteDecimal(dec);
    return bd == null ? dec.toString() : plain(bd);
  }

  /**
   * The canonical string of a UUID in binary subtype 4 (16 bytes), or null for any other binary.
   */
  public static String uuidOrNull(BsonBinary binary) {
    if (binary.getType() != BsonBinarySubType.UUID_STANDARD.getValue()
        || binary.getData().length != 16) {
      return null;
    }
    ByteBuffer buf = ByteBuffer.wrap(binary.getData());
    return new UUID(buf.getLong(), buf.getLong()).toString();
  }

  private static String plain(BigDecimal bd) {
    return Math.abs(bd.scale()) > MAX_PLAIN_SCALE ? bd.toString() : bd.toPlainString();
  }

  private static BigDecimal finiteDecimal(Decimal128 dec) {
    if (dec.isNaN() || dec.isInfinite()) {
      return null;
    }
    try {
      return dec.bigDecimalValue();
    } catch (ArithmeticException negativeZero) {
      return BigDecimal.ZERO;
    }
  }

  private static boolean isIntegral(BigDecimal bd) {
    return bd.signum() == 0 || bd.scale() <= 0 || bd.stripTrailingZeros().scale() <= 0;
  }
}
