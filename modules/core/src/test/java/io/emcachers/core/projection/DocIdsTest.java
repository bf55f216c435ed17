package io.emcachers.core.projection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.bson.BsonArray;
import org.bson.BsonBinary;
import org.bson.BsonBinarySubType;
import org.bson.BsonBoolean;
import org.bson.BsonDateTime;
import org.bson.BsonDecimal128;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonJavaScript;
import org.bson.BsonMaxKey;
import org.bson.BsonMinKey;
import org.bson.BsonNull;
import org.bson.BsonObjectId;
import org.bson.BsonRegularExpression;
import org.bson.BsonString;
import org.bson.BsonSymbol;
import org.bson.BsonTimestamp;
import org.bson.BsonUndefined;
import org.bson.BsonValue;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;

/**
 * The {@code _id} → {@code doc_id} rule (version 2), branch by branch, and that it is injective.
 */
class DocIdsTest {

  static final String HEX = "65a1b2c3d4e5f60718293a4b";
  static final UUID U = UUID.fromString("123e4567-e89b-42d3-a456-426614174000");
  static final long MILLIS = Instant.parse("2024-01-02T03:04:05.006Z").toEpochMilli();

  static String id(BsonValue v) {
    return DocIds.docId(v);
  }

  static BsonBinary uuid(UUID u) {
    ByteBuffer b =
        ByteBuffer.allocate(16)
            .putLong(u.getMostSignificantBits())
            .putLong(u.getLeastSignificantBits());
    return new BsonBinary(BsonBinarySubType.UUID_STANDARD, b.array());
  }

  static BsonDecimal128 dec(String s) {
    return new BsonDecimal128(Decimal128.parse(s));
  }

  @Test
  void ruleVersionIsTwo() {
    assertEquals(2, DocIds.RULE_VERSION);
  }

  @Test
  void plainStringsAreThemselves() {
    assertEquals("abc", id(new BsonString("abc")));
    assertEquals("user-0001", id(new BsonString("user-0001")));
    assertEquals("1", id(new BsonString("1")));
    assertEquals("true", id(new BsonString("true")));
    assertEquals("a~b", id(new BsonString("a~b")), "a ~ after the first character needs no escape");
    assertEquals(
        "back\\slash",
        id(new BsonString("back\\slash")),
        "backslashes of plain strings stay as they are");
    assertEquals(
        "65A1B2C3D4E5F60718293A4B",
        id(new BsonString("65A1B2C3D4E5F60718293A4B")),
        "upper-case hex is no ObjectId text");
    assertEquals(HEX + "0", id(new BsonString(HEX + "0")), "25 hex digits");
    assertEquals(HEX.substring(1), id(new BsonString(HEX.substring(1))), "23 hex digits");
    assertEquals("{\"a\":1}", id(new BsonString("{\"a\":1}")));
    assertEquals("héllo ☃ \uD83D\uDE00", id(new BsonString("héllo ☃ \uD83D\uDE00")));
  }

  @Test
  void reservedStringsAreEscaped() {
    assertEquals("~s:", id(new BsonString("")));
    assertEquals("~s:~", id(new BsonString("~")));
    assertEquals("~s:~n:1", id(new BsonString("~n:1")));
    assertEquals("~s:~s:x", id(new BsonString("~s:x")));
    assertEquals("~s:~a\\\\b", id(new BsonString("~a\\b")), "backslash doubled");
    assertEquals("~s:" + HEX, id(new BsonString(HEX)));
    assertEquals("~s:a\\0b", id(new BsonString("a\u0000b")), "NUL as backslash zero");
    assertEquals(
        "~s:\\\\0\\0",
        id(new BsonString("\\0\u0000")),
        "a literal backslash-zero and a NUL stay apart");
    assertEquals("~s:\\0", id(new BsonString("\u0000")));
  }

  @Test
  void objectIdsAre24LowercaseHex() {
    assertEquals(HEX, id(new BsonObjectId(new ObjectId(HEX))));
    assertEquals(HEX, id(new BsonObjectId(new ObjectId(HEX.toUpperCase()))));
  }

  @Test
  void numbersAreTheirExactValue() {
    assertEquals("~n:1", id(new BsonInt32(1)));
    assertEquals("~n:1", id(new BsonInt64(1)));
    assertEquals("~n:1", id(new BsonDouble(1.0)));
    assertEquals("~n:1", id(dec("1.0")));
    assertEquals("~n:1", id(dec("1")));
    assertEquals("~n:1", id(dec("0.01E+2")));
    assertEquals("~n:42", id(new BsonInt32(42)));
    assertEquals("~n:-7", id(new BsonInt64(-7)));
    assertEquals("~n:" + Integer.MIN_VALUE, id(new BsonInt32(Integer.MIN_VALUE)));
    assertEquals("~n:" + Long.MAX_VALUE, id(new BsonInt64(Long.MAX_VALUE)));
    assertEquals("~n:" + Long.MIN_VALUE, id(new BsonInt64(Long.MIN_VALUE)));
    assertEquals("~n:0", id(new BsonInt32(0)));
    assertEquals("~n:0", id(new BsonDouble(0.0)));
    assertEquals("~n:0", id(new BsonDouble(-0.0)));
    assertEquals("~n:0", id(dec("0")));
    assertEquals("~n:0", id(dec("-0")));
    assertEquals("~n:0", id(dec("0.000")));
    assertEquals("~n:0", id(dec("-0E+300")));
    assertEquals(
        "~n:0.1000000000000000055511151231257827021181583404541015625", id(new BsonDouble(0.1)));
    assertEquals("~n:0.1", id(dec("0.1")));
    assertEquals("~n:0.1", id(dec("0.100")));
    assertEquals("~n:1.5", id(new BsonDouble(1.5)));
    assertEquals("~n:-2.25", id(dec("-2.250")));
    assertEquals("~n:1200", id(dec("1.2E+3")));
    assertEquals("~n:1E-7", id(dec("1E-7")), "BigDecimal.toString for fractions");
    assertEquals("~n:" + new BigDecimal(1e-7).toString(), id(new BsonDouble(1e-7)));
    assertEquals("~n:9007199254740993", id(new BsonInt64(9007199254740993L)));
    assertEquals(
        "~n:9007199254740992",
        id(new BsonDouble(9007199254740993.0)),
        "the double nearest 2^53+1 is 2^53");
    assertEquals("~n:100000000000000000000", id(new BsonDouble(1e20)));
    assertEquals(
        "~n:" + "9".repeat(34) + "000000",
        id(dec("9".repeat(34) + "E+6")),
        "integral below 10^40: plain digits");
    assertEquals("~n:" + new BigDecimal(1e39).toBigInteger(), id(new BsonDouble(1e39)));
    assertTrue(id(new BsonDouble(1e39)).matches("~n:[0-9]{39}"), id(new BsonDouble(1e39)));
    assertEquals("~n:1E+40", id(dec("1E+40")), "integral at 10^40: BigDecimal.toString");
    assertEquals("~n:" + new BigDecimal(1e40).stripTrailingZeros(), id(new BsonDouble(1e40)));
    assertEquals("~n:" + new BigDecimal(-1e300).stripTrailingZeros(), id(new BsonDouble(-1e300)));
    assertEquals("~n:1E+6144", id(dec("1E+6144")));
    assertEquals("~n:NaN", id(new BsonDouble(Double.NaN)));
    assertEquals("~n:NaN", id(dec("NaN")));
    assertEquals("~n:NaN", id(dec("-NaN")));
    assertEquals("~n:Infinity", id(new BsonDouble(Double.POSITIVE_INFINITY)));
    assertEquals("~n:Infinity", id(dec("Infinity")));
    assertEquals("~n:-Infinity", id(new BsonDouble(Double.NEGATIVE_INFINITY)));
    assertEquals("~n:-Infinity", id(dec("-Infinity")));
  }

  @Test
  void booleansDatesUuidsAndNull() {
    assertEquals("~b:true", id(BsonBoolean.TRUE));
    assertEquals("~b:false", id(BsonBoolean.FALSE));
    assertEquals("~d:2024-01-02T03:04:05.006Z", id(new BsonDateTime(MILLIS)));
    assertEquals(
        "~d:2024-01-02T03:04:05.000Z",
        id(new BsonDateTime(Instant.parse("2024-01-02T03:04:05Z").toEpochMilli())));
    assertEquals("~d:1970-01-01T00:00:00.000Z", id(new BsonDateTime(0)));
    assertEquals("~d:1969-12-31T23:59:59.999Z", id(new BsonDateTime(-1)));
    assertNotEquals(id(new BsonDateTime(Long.MIN_VALUE)), id(new BsonDateTime(Long.MAX_VALUE)));
    assertEquals("~u:" + U, id(uuid(U)));
    assertEquals("~null", id(BsonNull.VALUE));
    assertEquals("~null", id(new BsonUndefined()));
    assertThrows(IllegalArgumentException.class, () -> DocIds.docId(null));
  }

  @Test
  void everythingElseIsCanonicalExtendedJson() {
    assertEquals(
        "~j:{\"v\": {\"a\": {\"$numberInt\": \"1\"}}}", id(BsonDocument.parse("{\"a\": 1}")));
    assertEquals(
        "~j:{\"v\": {\"a\": {\"$numberLong\": \"1\"}}}",
        id(new BsonDocument("a", new BsonInt64(1))));
    assertEquals("~j:{\"v\": {}}", id(new BsonDocument()));
    assertEquals(
        "~j:{\"v\": [{\"$numberInt\": \"1\"}, \"x\"]}",
        id(new BsonArray(List.of(new BsonInt32(1), new BsonString("x")))));
    assertEquals(
        "~j:{\"v\": {\"$binary\": {\"base64\": \"AQID\", \"subType\": \"00\"}}}",
        id(new BsonBinary(new byte[] {1, 2, 3})));
    assertEquals(
        "~j:{\"v\": {\"$binary\": {\"base64\": \"AQID\", \"subType\": \"04\"}}}",
        id(new BsonBinary(BsonBinarySubType.UUID_STANDARD, new byte[] {1, 2, 3})),
        "subtype 4 but not 16 bytes");
    assertTrue(
        id(new BsonBinary(BsonBinarySubType.UUID_LEGACY, uuid(U).getData())).startsWith("~j:"),
        "legacy UUID subtype 3");
    assertEquals("~j:{\"v\": {\"$timestamp\": {\"t\": 5, \"i\": 1}}}", id(new BsonTimestamp(5, 1)));
    assertEquals(
        "~j:{\"v\": {\"$regularExpression\": {\"pattern\": \"a.*\", \"options\": \"i\"}}}",
        id(new BsonRegularExpression("a.*", "i")));
    assertEquals("~j:{\"v\": {\"$minKey\": 1}}", id(new BsonMinKey()));
    assertEquals("~j:{\"v\": {\"$maxKey\": 1}}", id(new BsonMaxKey()));
    assertEquals("~j:{\"v\": {\"$symbol\": \"sym\"}}", id(new BsonSymbol("sym")));
    assertEquals("~j:{\"v\": {\"$code\": \"f()\"}}", id(new BsonJavaScript("f()")));
    assertEquals(
        "~j:{\"v\": {\"k\": \"a\\u0000b\"}}",
        id(new BsonDocument("k", new BsonString("a\u0000b"))),
        "NUL escaped by the JSON writer");
  }

  @Test
  void theSevenCollidingPairsOfRuleOneAreApart() {
    List<BsonValue[]> pairs =
        List.of(
            new BsonValue[] {new BsonInt32(1), new BsonString("1")},
            new BsonValue[] {new BsonObjectId(new ObjectId(HEX)), new BsonString(HEX)},
            new BsonValue[] {BsonBoolean.TRUE, new BsonString("true")},
            new BsonValue[] {uuid(U), new BsonString(U.toString())},
            new BsonValue[] {new BsonDateTime(MILLIS), new BsonString("2024-01-02T03:04:05.006Z")},
            new BsonValue[] {new BsonDouble(0.1), dec("0.1")},
            new BsonValue[] {BsonDocument.parse("{\"a\": 1}"), new BsonString("{\"a\":1}")});
    for (BsonValue[] p : pairs) {
      assertNotEquals(id(p[0]), id(p[1]), () -> p[0] + " vs " + p[1]);
    }
  }

  @Test
  void noDocIdContainsNul() {
    for (BsonValue v :
        List.<BsonValue>of(
            new BsonString("\u0000"),
            new BsonString("a\u0000"),
            new BsonString("~\u0000"),
            new BsonDocument("k\u0000", new BsonString("\u0000")),
            new BsonArray(List.of(new BsonString("\u0000"))),
            new BsonRegularExpression("\u0000", ""),
            new BsonSymbol("\u0000"),
            new BsonJavaScript("\u0000"))) {
      assertFalse(id(v).contains("\u0000"), () -> "NUL in the doc id of " + v);
    }
  }

  // ---- property: distinct _ids (by MongoDB equality) never share a doc id, equal ones always do

  @Test
  void distinctValuesGiveDistinctDocIds() {
    Random random = new Random(20240102L);
    List<BsonValue> values = new ArrayList<>(fixedValues());
    for (int i = 0; i < 20_000; i++) {
      values.add(generate(random, 0));
    }
    // strings that look like the doc ids of other values, and the texts other types used to give
    for (BsonValue v : new ArrayList<>(values)) {
      values.add(new BsonString(id(v)));
      String text = legacyText(v);
      if (text != null) {
        values.add(new BsonString(text));
      }
    }
    Map<String, Object> keyOfDocId = new HashMap<>();
    Map<Object, String> docIdOfKey = new HashMap<>();
    Map<String, BsonValue> sample = new HashMap<>();
    for (BsonValue v : values) {
      String docId = id(v);
      assertFalse(docId.contains("\u0000"), () -> "NUL in the doc id of " + v);
      Object key = mongoKey(v);
      Object seenKey = keyOfDocId.putIfAbsent(docId, key);
      sample.putIfAbsent(docId, v);
      if (seenKey != null) {
        assertEquals(
            seenKey, key, () -> "doc id " + docId + " of both " + sample.get(docId) + " and " + v);
      }
      String seenId = docIdOfKey.putIfAbsent(key, docId);
      if (seenId != null) {
        assertEquals(seenId, docId, () -> "equal _ids " + v + " gave two doc ids");
      }
    }
    assertTrue(keyOfDocId.size() > 5_000, "enough distinct values: " + keyOfDocId.size());
  }

  /**
   * MongoDB equality of two _id values as a map key: numbers by exact value, null = undefined, else
   * BSON equality.
   */
  static Object mongoKey(BsonValue v) {
    switch (v.getBsonType()) {
      case INT32:
      case INT64:
      case DOUBLE:
      case DECIMAL128:
        {
          double d = v.isDouble() ? v.asDouble().getValue() : 0;
          if (v.isDouble() && Double.isNaN(d)
              || v.isDecimal128() && v.asDecimal128().getValue().isNaN()) {
            return "number NaN";
          }
          if (v.isDouble() && Double.isInfinite(d)) {
            return d > 0 ? "number +inf" : "number -inf";
          }
          if (v.isDecimal128() && v.asDecimal128().getValue().isInfinite()) {
            return v.asDecimal128().getValue().isNegative() ? "number -inf" : "number +inf";
          }
          BigDecimal bd =
              switch (v.getBsonType()) {
                case INT32 -> BigDecimal.valueOf(v.asInt32().getValue());
                case INT64 -> BigDecimal.valueOf(v.asInt64().getValue());
                case DOUBLE -> new BigDecimal(d);
                default -> decimalValue(v.asDecimal128().getValue());
              };
          return bd.signum() == 0
              ? List.of("number", BigDecimal.ZERO)
              : List.of("number", bd.stripTrailingZeros());
        }
      case NULL:
      case UNDEFINED:
        return "null";
      default:
        return v;
    }
  }

  static BigDecimal decimalValue(Decimal128 d) {
    try {
      return d.bigDecimalValue();
    } catch (ArithmeticException negativeZero) {
      return BigDecimal.ZERO;
    }
  }

  /** What rule 1 made of a value (the texts that used to collide), or null. */
  static String legacyText(BsonValue v) {
    return switch (v.getBsonType()) {
      case INT32 -> Integer.toString(v.asInt32().getValue());
      case INT64 -> Long.toString(v.asInt64().getValue());
      case DOUBLE -> Coercion.doubleText(v.asDouble().getValue());
      case DECIMAL128 -> Coercion.decimalText(v.asDecimal128().getValue());
      case OBJECT_ID -> v.asObjectId().getValue().toHexString();
      case BOOLEAN -> Boolean.toString(v.asBoolean().getValue());
      case DATE_TIME -> Coercion.isoMillis(v.asDateTime().getValue());
      case BINARY -> Coercion.uuidOrNull(v.asBinary());
      case DOCUMENT -> BsonJson.toJsonObject(v.asDocument()).encode();
      default -> null;
    };
  }

  static List<BsonValue> fixedValues() {
    List<BsonValue> out = new ArrayList<>();
    for (String s :
        List.of(
            "",
            "~",
            "~~",
            "\\",
            "\\\\",
            "\u0000",
            "\\0",
            "~s:",
            "~n:1",
            "~null",
            "~b:true",
            "~j:{}",
            "1",
            "true",
            "null",
            HEX,
            HEX.toUpperCase(),
            "NaN",
            "Infinity",
            "0",
            "-0",
            "1.0")) {
      out.add(new BsonString(s));
    }
    for (String d :
        List.of(
            "0",
            "-0",
            "0E-10",
            "1",
            "1.0",
            "1.00",
            "-1",
            "0.1",
            "0.10",
            "1E+3",
            "1000",
            "NaN",
            "-NaN",
            "Infinity",
            "-Infinity",
            "9".repeat(34),
            "1E+6144",
            "1E-6176",
            "-1E+40",
            "12345678901234567890.123",
            "9007199254740993")) {
      out.add(dec(d));
    }
    for (double d :
        new double[] {
          0.0,
          -0.0,
          1.0,
          -1.0,
          0.1,
          1e-7,
          1e20,
          1e40,
          1e300,
          -1e300,
          Double.MIN_VALUE,
          Double.MAX_VALUE,
          9007199254740992.0,
          9.223372036854775807E18,
          Double.NaN,
          Double.POSITIVE_INFINITY,
          Double.NEGATIVE_INFINITY,
          1000.0
        }) {
      out.add(new BsonDouble(d));
    }
    for (long l :
        new long[] {
          0,
          1,
          -1,
          1000,
          9007199254740992L,
          9007199254740993L,
          Long.MAX_VALUE,
          Long.MIN_VALUE,
          Integer.MAX_VALUE + 1L
        }) {
      out.add(new BsonInt64(l));
    }
    out.add(new BsonInt32(Integer.MIN_VALUE));
    out.add(new BsonInt32(1));
    out.add(new BsonObjectId(new ObjectId(HEX)));
    out.add(BsonBoolean.TRUE);
    out.add(BsonBoolean.FALSE);
    out.add(new BsonDateTime(MILLIS));
    out.add(new BsonDateTime(Long.MIN_VALUE));
    out.add(new BsonDateTime(Long.MAX_VALUE));
    out.add(uuid(U));
    out.add(BsonNull.VALUE);
    out.add(new BsonUndefined());
    out.add(new BsonMinKey());
    out.add(new BsonMaxKey());
    out.add(new BsonDocument());
    out.add(new BsonArray());
    out.add(BsonDocument.parse("{\"a\": 1}"));
    out.add(new BsonTimestamp(MILLIS));
    out.add(new BsonSymbol("1"));
    out.add(new BsonJavaScript("1"));
    out.add(new BsonRegularExpression("1", ""));
    return out;
  }

  static final String ALPHABET = "ab~\\\u00000123456789ef:-.E{}\"n";

  static BsonValue generate(Random r, int depth) {
    int kind = r.nextInt(depth > 1 ? 14 : 17);
    return switch (kind) {
      case 0, 1 -> new BsonString(randomString(r));
      case 2 -> new BsonString(String.format("%024x", new BigInteger(96, r)).substring(0, 24));
      case 3 -> new BsonInt32(r.nextInt(41) - 20);
      case 4 -> new BsonInt64(r.nextBoolean() ? r.nextInt(41) - 20 : r.nextLong());
      case 5 ->
          new BsonDouble(
              switch (r.nextInt(4)) {
                case 0 -> r.nextInt(41) - 20;
                case 1 -> (r.nextInt(81) - 40) / 4.0;
                case 2 -> r.nextGaussian() * Math.pow(10, r.nextInt(80) - 40);
                default -> Double.longBitsToDouble(r.nextLong());
              });
      case 6 -> {
        BigInteger unscaled =
            r.nextBoolean() ? BigInteger.valueOf(r.nextInt(201) - 100) : new BigInteger(100, r);
        yield new BsonDecimal128(new Decimal128(new BigDecimal(unscaled, r.nextInt(9) - 4)));
      }
      case 7 ->
          new BsonObjectId(
              new ObjectId(String.format("%024x", new BigInteger(96, r)).substring(0, 24)));
      case 8 -> BsonBoolean.valueOf(r.nextBoolean());
      case 9 -> new BsonDateTime(r.nextBoolean() ? MILLIS + r.nextInt(2000) - 1000 : r.nextLong());
      case 10 -> uuid(new UUID(r.nextInt(3), r.nextInt(3)));
      case 11 -> {
        byte[] data = new byte[r.nextInt(18)];
        r.nextBytes(data);
        yield new BsonBinary((byte) (r.nextBoolean() ? 4 : r.nextInt(6)), data);
      }
      case 12 ->
          switch (r.nextInt(6)) {
            case 0 -> BsonNull.VALUE;
            case 1 -> new BsonUndefined();
            case 2 -> new BsonMinKey();
            case 3 -> new BsonMaxKey();
            case 4 -> new BsonTimestamp(r.nextInt(3), r.nextInt(3));
            default -> new BsonRegularExpression(randomString(r), r.nextBoolean() ? "i" : "");
          };
      case 13 ->
          r.nextBoolean() ? new BsonSymbol(randomString(r)) : new BsonJavaScript(randomString(r));
      case 14, 15 -> {
        BsonDocument doc = new BsonDocument();
        int n = r.nextInt(3);
        for (int i = 0; i < n; i++) {
          doc.append(randomString(r), generate(r, depth + 1));
        }
        yield doc;
      }
      default -> {
        BsonArray array = new BsonArray();
        int n = r.nextInt(3);
        for (int i = 0; i < n; i++) {
          array.add(generate(r, depth + 1));
        }
        yield array;
      }
    };
  }

  static String randomString(Random r) {
    int n = r.nextInt(5);
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      sb.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
    }
    return sb.toString();
  }

  @Test
  void objectIdTextIsExactlyTwentyFourLowercaseHexDigits() {
    assertTrue(DocIds.isObjectIdText("0123456789abcdef01234567"));
    assertFalse(DocIds.isObjectIdText("0123456789ABCDEF01234567"));
    assertFalse(DocIds.isObjectIdText("0123456789abcdef0123456"));
    assertFalse(DocIds.isObjectIdText("0123456789abcdef012345678"));
    assertFalse(DocIds.isObjectIdText("0123456789abcdef0123456g"));
    assertFalse(DocIds.isObjectIdText("0123456789abcdef0123456/"));
    assertFalse(DocIds.isObjectIdText(""));
    // a string _id that looks like an ObjectId's doc id is escaped, and comes back as a string
    assertEquals(
        "~s:0123456789abcdef01234567", DocIds.docId(new BsonString("0123456789abcdef01234567")));
    assertEquals(
        "0123456789ABCDEF01234567", DocIds.docId(new BsonString("0123456789ABCDEF01234567")));
  }
}
