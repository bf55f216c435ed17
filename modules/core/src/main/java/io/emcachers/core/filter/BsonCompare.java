package io.emcachers.core.filter;

import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Map;
import org.bson.BsonBinary;
import org.bson.BsonDocument;
import org.bson.BsonType;
import org.bson.BsonValue;
import org.bson.types.Decimal128;

/**
 * MongoDB's BSON comparison order, as it sorts and compares values: first by type bracket (MinKey,
 * null and undefined, numbers, strings and symbols, documents, arrays, binary data, ObjectId,
 * booleans, dates, timestamps, regular expressions, DBPointer, JavaScript, JavaScript with scope,
 * MaxKey), then by value within the bracket. Numbers compare by their exact value whatever their
 * type ({@code 5}, {@code NumberLong(5)}, {@code 5.0} and {@code NumberDecimal("5.00")} are equal,
 * {@code -0.0} equals {@code 0}, NaN sorts below every other number and equals NaN); strings by
 * code point (the order of their UTF-8 bytes, MongoDB's simple collation); documents field by field
 * (value bracket, then field name, then value), arrays element by element, a shorter prefix first.
 * Pure and stateless.
 */
public final class BsonCompare {

  private BsonCompare() {}

  /** The type bracket of {@code v}: values of different brackets never compare equal. */
  public static int bracket(BsonValue v) {
    return switch (v.getBsonType()) {
      case MIN_KEY -> 0;
      case NULL, UNDEFINED -> 1;
      case INT32, INT64, DOUBLE, DECIMAL128 -> 2;
      case STRING, SYMBOL -> 3;
      case DOCUMENT -> 4;
      case ARRAY -> 5;
      case BINARY -> 6;
      case OBJECT_ID -> 7;
      case BOOLEAN -> 8;
      case DATE_TIME -> 9;
      case TIMESTAMP -> 10;
      case REGULAR_EXPRESSION -> 11;
      case DB_POINTER -> 12;
      case JAVASCRIPT -> 13;
      case JAVASCRIPT_WITH_SCOPE -> 14;
      case MAX_KEY -> 15;
      default -> 16; // END_OF_DOCUMENT never occurs in a value
    };
  }

  /** Whether {@code v} is a number (int32, int64, double, decimal128). */
  public static boolean isNumber(BsonValue v) {
    return bracket(v) == 2;
  }

  /** Whether {@code v} is a NaN double or decimal. */
  public static boolean isNaN(BsonValue v) {
    return (v.isDouble() && Double.isNaN(v.asDouble().getValue()))
        || (v.isDecimal128() && v.asDecimal128().getValue().isNaN());
  }

  /** Negative, zero or positive as {@code a} sorts before, with or after {@code b}. */
  public static int compare(BsonValue a, BsonValue b) {
    int ba = bracket(a);
    int bb = bracket(b);
    if (ba != bb) {
      return Integer.compare(ba, bb);
    }
    return switch (ba) {
      case 0, 1, 15 -> 0;
      case 2 -> compareNumbers(a, b);
      case 3 -> compareStrings(text(a), text(b));
      case 4 -> compareDocuments(a.asDocument(), b.asDocument());
      case 5 -> compareArrays(a.asArray().getValues(), b.asArray().getValues());
      case 6 -> compareBinary(a.asBinary(), b.asBinary());
      case 7 -> a.asObjectId().getValue().compareTo(b.asObjectId().getValue());
      case 8 -> Boolean.compare(a.asBoolean().getValue(), b.asBoolean().getValue());
      case 9 -> Long.compare(a.asDateTime().getValue(), b.asDateTime().getValue());
      case 10 -> a.asTimestamp().compareTo(b.asTimestamp());
      case 11 -> {
        int c =
            compareStrings(
                a.asRegularExpression().getPattern(), b.asRegularExpression().getPattern());
        yield c != 0
            ? c
            : compareStrings(
                a.asRegularExpression().getOptions(), b.asRegularExpression().getOptions());
      }
      case 12 -> {
        int c = compareStrings(a.asDBPointer().getNamespace(), b.asDBPointer().getNamespace());
        yield c != 0 ? c : a.asDBPointer().getId().compareTo(b.asDBPointer().getId());
      }
      case 13 -> compareStrings(a.asJavaScript().getCode(), b.asJavaScript().getCode());
      case 14 -> {
        int c =
            compareStrings(
                a.asJavaScriptWithScope().getCode(), b.asJavaScriptWithScope().getCode());
        yield c != 0
            ? c
            : compareDocuments(
                a.asJavaScriptWithScope().getScope(), b.asJavaScriptWithScope().getScope());
      }
      default -> 0;
    };
  }

  /** Whether {@code a} and {@code b} are equal in BSON comparison ({@code 1 == 1.0}). */
  public static boolean equal(BsonValue a, BsonValue b) {
    return compare(a, b) == 0;
  }

  private static String text(BsonValue v) {
    return v.isSymbol() ? v.asSymbol().getSymbol() : v.asString().getValue();
  }

  /** Code point order, which is the order of the strings' UTF-8 bytes. */
  static int compareStrings(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Boolean.compare(i < a.length(), j < b.length());
  }

  private static int compareDocuments(BsonDocument a, BsonDocument b) {
    Iterator<Map.Entry<String, BsonValue>> ia = a.entrySet().iterator();
    Iterator<Map.Entry<String, BsonValue>> ib = b.entrySet().iterator();
    while (ia.hasNext() && ib.hasNext()) {
      Map.Entry<String, BsonValue> ea = ia.next();
      Map.Entry<String, BsonValue> eb = ib.next();
      int c = Integer.compare(bracket(ea.getValue()), bracket(eb.getValue()));
      if (c == 0) {
        c = compareStrings(ea.getKey(), eb.getKey());
      }
      if (c == 0) {
        c = compare(ea.getValue(), eb.getValue());
      }
      if (c != 0) {
        return c;
      }
    }
    return Boolean.compare(ia.hasNext(), ib.hasNext());
  }

  private static int compareArrays(java.util.List<BsonValue> a, java.util.List<BsonValue> b) {
    int n = Math.min(a.size(), b.size());
    for (int i = 0; i < n; i++) {
      int c = compare(a.get(i), b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }

  private static int compareBinary(BsonBinary a, BsonBinary b) {
    byte[] da = a.getData();
    byte[] db = b.getData();
    if (da.length != db.length) {
      return Integer.compare(da.length, db.length);
    }
    if (a.getType() != b.getType()) {
      return Integer.compare(a.getType() & 0xff, b.getType() & 0xff);
    }
    return java.util.Arrays.compareUnsigned(da, db);
  }

  // ------------------------------------------------------------------ numbers

  /** NaN, then -Infinity, then the finite values in order, then +Infinity. */
  static int compareNumbers(BsonValue a, BsonValue b) {
    BsonType ta = a.getBsonType();
    BsonType tb = b.getBsonType();
    if (integral(ta) && integral(tb)) {
      return Long.compare(a.asNumber().longValue(), b.asNumber().longValue());
    }
    int ka = kind(a);
    int kb = kind(b);
    if (ka != kb || ka != FINITE) {
      return Integer.compare(ka, kb);
    }
    if (ta == BsonType.DOUBLE && tb == BsonType.DOUBLE) {
      double x = a.asDouble().getValue();
      double y = b.asDouble().getValue();
      return x < y ? -1 : x > y ? 1 : 0; // -0.0 == 0.0
    }
    return exact(a).compareTo(exact(b));
  }

  private static final int NAN = 0;
  private static final int NEG_INF = 1;
  private static final int FINITE = 2;
  private static final int POS_INF = 3;

  private static boolean integral(BsonType t) {
    return t == BsonType.INT32 || t == BsonType.INT64;
  }

  private static int kind(BsonValue v) {
    if (v.isDouble()) {
      double d = v.asDouble().getValue();
      return Double.isNaN(d)
          ? NAN
          : d == Double.NEGATIVE_INFINITY
              ? NEG_INF
              : d == Double.POSITIVE_INFINITY ? POS_INF : FINITE;
    }
    if (v.isDecimal128()) {
      Decimal128 d = v.asDecimal128().getValue();
      return d.isNaN() ? NAN : d.isInfinite() ? (d.isNegative() ? NEG_INF : POS_INF) : FINITE;
    }
    return FINITE;
  }

  /** The exact value of a finite number. */
  private static BigDecimal exact(BsonValue v) {
    return switch (v.getBsonType()) {
      case INT32 -> BigDecimal.valueOf(v.asInt32().getValue());
      case INT64 -> BigDecimal.valueOf(v.asInt64().getValue());
      case DOUBLE -> new BigDecimal(v.asDouble().getValue());
      case DECIMAL128 -> {
        try {
          yield v.asDecimal128().getValue().bigDecimalValue();
        } catch (ArithmeticException negativeZero) {
          yield BigDecimal.ZERO; // the only finite value BigDecimal cannot hold
        }
      }
      default -> throw new IllegalArgumentException("not a number: " + v.getBsonType());
    };
  }
}
