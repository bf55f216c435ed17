package io.emcachers.core.projection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.model.DataType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.time.Instant;
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
import org.bson.BsonNull;
import org.bson.BsonObjectId;
import org.bson.BsonRegularExpression;
import org.bson.BsonString;
import org.bson.BsonSymbol;
import org.bson.BsonTimestamp;
import org.bson.BsonValue;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;

/** The whole coercion table, one row (type) at a time. */
class CoercionTest {

  static final ObjectId OID = new ObjectId("65a1b2c3d4e5f60718293a4b");
  static final UUID U = UUID.fromString("123e4567-e89b-42d3-a456-426614174000");
  static final long MILLIS = Instant.parse("2024-01-02T03:04:05.006Z").toEpochMilli();

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

  static Object ok(DataType type, BsonValue v) {
    Coercion.Result r = Coercion.coerce(type, v);
    assertFalse(r.mismatch(), () -> type + " should accept " + v);
    return r.value();
  }

  static void bad(DataType type, BsonValue v) {
    Coercion.Result r = Coercion.coerce(type, v);
    assertTrue(r.mismatch(), () -> type + " should reject " + v + " but gave " + r.value());
    assertNull(r.value());
  }

  @Test
  void nullAndMissingAreNullWithoutMismatchForEveryType() {
    for (DataType t : DataType.values()) {
      Coercion.Result missing = Coercion.coerce(t, null);
      Coercion.Result explicit = Coercion.coerce(t, BsonNull.VALUE);
      assertNull(missing.value());
      assertFalse(missing.mismatch());
      assertNull(explicit.value());
      assertFalse(explicit.mismatch());
    }
  }

  @Test
  void text() {
    assertEquals("hello", ok(DataType.Text, new BsonString("hello")));
    assertEquals("65a1b2c3d4e5f60718293a4b", ok(DataType.Text, new BsonObjectId(OID)));
    assertEquals(U.toString(), ok(DataType.Text, uuid(U)));
    assertEquals("2024-01-02T03:04:05.006Z", ok(DataType.Text, new BsonDateTime(MILLIS)));
    assertEquals(
        "2024-01-02T03:04:05.000Z",
        ok(DataType.Text, new BsonDateTime(Instant.parse("2024-01-02T03:04:05Z").toEpochMilli())));
    assertEquals("42", ok(DataType.Text, new BsonInt32(42)));
    assertEquals("-9007199254740993", ok(DataType.Text, new BsonInt64(-9007199254740993L)));
    assertEquals("1.5", ok(DataType.Text, new BsonDouble(1.5)));
    assertEquals("3", ok(DataType.Text, new BsonDouble(3.0)));
    assertEquals("100000000000000000000", ok(DataType.Text, new BsonDouble(1e20)));
    assertEquals("0.0000001", ok(DataType.Text, new BsonDouble(1e-7)));
    assertEquals("NaN", ok(DataType.Text, new BsonDouble(Double.NaN)));
    assertEquals("12345678901234567890.123", ok(DataType.Text, dec("12345678901234567890.123")));
    assertEquals("1.10", ok(DataType.Text, dec("1.10")));
    assertEquals("true", ok(DataType.Text, BsonBoolean.TRUE));
    assertEquals("false", ok(DataType.Text, BsonBoolean.FALSE));
    bad(DataType.Text, new BsonDocument("a", new BsonInt32(1)));
    bad(DataType.Text, new BsonArray());
    bad(DataType.Text, new BsonBinary(new byte[] {1, 2, 3}));
    bad(DataType.Text, new BsonTimestamp(5, 1));
    bad(DataType.Text, new BsonRegularExpression("a.*"));
  }

  @Test
  void integer() {
    assertEquals(7L, ok(DataType.Integer, new BsonInt32(7)));
    assertEquals(Long.MAX_VALUE, ok(DataType.Integer, new BsonInt64(Long.MAX_VALUE)));
    assertEquals(-3L, ok(DataType.Integer, new BsonDouble(-3.0)));
    assertEquals(9007199254740992L, ok(DataType.Integer, new BsonDouble(9007199254740992.0)));
    assertEquals(12L, ok(DataType.Integer, dec("12.000")));
    assertEquals(1200L, ok(DataType.Integer, dec("1.2E+3")));
    assertEquals(Long.MIN_VALUE, ok(DataType.Integer, dec("-9223372036854775808")));
    bad(DataType.Integer, new BsonDouble(1.5));
    bad(DataType.Integer, new BsonDouble(1e19));
    bad(DataType.Integer, new BsonDouble(Double.NaN));
    bad(DataType.Integer, new BsonDouble(Double.POSITIVE_INFINITY));
    bad(DataType.Integer, dec("9223372036854775808"));
    bad(DataType.Integer, dec("0.5"));
    bad(DataType.Integer, dec("NaN"));
    bad(DataType.Integer, new BsonString("12"));
    bad(DataType.Integer, BsonBoolean.TRUE);
    bad(DataType.Integer, new BsonDateTime(MILLIS));
    bad(DataType.Integer, new BsonDocument());
  }

  @Test
  void number() {
    assertEquals(7L, ok(DataType.Number, new BsonInt32(7)));
    assertEquals(9007199254740993L, ok(DataType.Number, new BsonInt64(9007199254740993L)));
    assertEquals(2.25, ok(DataType.Number, new BsonDouble(2.25)));
    assertEquals(0.1, ok(DataType.Number, dec("0.1")));
    assertEquals(1.2345678901234567E19, ok(DataType.Number, dec("12345678901234567890.123")));
    bad(DataType.Number, new BsonDouble(Double.NaN));
    bad(DataType.Number, new BsonDouble(Double.NEGATIVE_INFINITY));
    bad(DataType.Number, dec("Infinity"));
    bad(DataType.Number, dec("1E+400"));
    bad(DataType.Number, new BsonString("1.5"));
    bad(DataType.Number, BsonBoolean.FALSE);
    bad(DataType.Number, new BsonArray());
  }

  @Test
  void bool() {
    assertEquals(true, ok(DataType.Bool, BsonBoolean.TRUE));
    assertEquals(false, ok(DataType.Bool, BsonBoolean.FALSE));
    bad(DataType.Bool, new BsonInt32(1));
    bad(DataType.Bool, new BsonString("true"));
    bad(DataType.Bool, new BsonDocument());
  }

  @Test
  void jsonbIsRelaxedJsonOfAnything() {
    assertEquals("x", ok(DataType.JSONB, new BsonString("x")));
    assertEquals(5, ((Number) ok(DataType.JSONB, new BsonInt64(5))).intValue());
    assertEquals(
        new JsonObject().put("$oid", OID.toHexString()), ok(DataType.JSONB, new BsonObjectId(OID)));
    assertEquals(
        new JsonObject().put("$date", "2024-01-02T03:04:05.006Z"),
        ok(DataType.JSONB, new BsonDateTime(MILLIS)));
    assertEquals(
        new JsonObject().put("$numberDecimal", "12345678901234567890.123"),
        ok(DataType.JSONB, dec("12345678901234567890.123")));
    BsonDocument nested =
        new BsonDocument("a", new BsonInt32(1))
            .append("b", new BsonArray(java.util.List.of(new BsonString("x"), BsonBoolean.TRUE)))
            .append("id", new BsonObjectId(OID));
    JsonObject json = (JsonObject) ok(DataType.JSONB, nested);
    assertEquals(1, json.getInteger("a"));
    assertEquals(new JsonArray().add("x").add(true), json.getJsonArray("b"));
    assertEquals(OID.toHexString(), json.getJsonObject("id").getString("$oid"));
    JsonArray arr =
        (JsonArray)
            ok(
                DataType.JSONB,
                new BsonArray(
                    java.util.List.of(
                        new BsonInt32(1), new BsonDocument("k", new BsonString("v")))));
    assertEquals(new JsonArray().add(1).add(new JsonObject().put("k", "v")), arr);
    assertEquals(
        new JsonObject().put("$numberDouble", "NaN"),
        ok(DataType.JSONB, new BsonDouble(Double.NaN)));
  }

  /**
   * The value of a coercion that had to replace a NUL: kept (not null), flagged, never a type
   * mismatch.
   */
  static Object replaced(DataType type, BsonValue v) {
    Coercion.Result r = Coercion.coerce(type, v);
    assertFalse(r.mismatch(), () -> type + " should accept " + v);
    assertTrue(r.nulReplaced(), () -> type + " should flag the NUL replaced in " + v);
    return r.value();
  }

  @Test
  void nulBecomesTheReplacementCharacterInEveryStringThatReachesData() {
    assertEquals("a\uFFFDb\uFFFD", replaced(DataType.Text, new BsonString("a\u0000b\u0000")));
    assertEquals("\uFFFD", replaced(DataType.Text, new BsonSymbol("\u0000")));
    assertEquals("x\uFFFD", replaced(DataType.Any, new BsonString("x\u0000")));
    assertEquals("x\uFFFD", replaced(DataType.Any, new BsonSymbol("x\u0000")));
    assertEquals("\uFFFD", replaced(DataType.JSONB, new BsonString("\u0000")));
    BsonDocument doc =
        new BsonDocument("k\u0000", new BsonString("v\u0000"))
            .append(
                "arr",
                new BsonArray(
                    java.util.List.of(
                        new BsonString("\u0000"), new BsonDocument("\u0000", new BsonInt32(1)))))
            .append("re", new BsonRegularExpression("a\u0000", "i"))
            .append("ok", new BsonString("plain"));
    JsonObject expected =
        new JsonObject()
            .put("k\uFFFD", "v\uFFFD")
            .put("arr", new JsonArray().add("\uFFFD").add(new JsonObject().put("\uFFFD", 1)))
            .put(
                "re",
                new JsonObject()
                    .put(
                        "$regularExpression",
                        new JsonObject().put("pattern", "a\uFFFD").put("options", "i")))
            .put("ok", "plain");
    assertEquals(expected, replaced(DataType.JSONB, doc));
    assertEquals(expected, replaced(DataType.Any, doc));
    assertEquals(
        new JsonArray().add("\uFFFD"),
        replaced(DataType.JSONB, new BsonArray(java.util.List.of(new BsonString("\u0000")))));
    assertEquals(
        new JsonArray().add("\uFFFD"),
        replaced(DataType.Any, new BsonArray(java.util.List.of(new BsonString("\u0000")))));
    assertEquals(
        new JsonObject().put("$symbol", "\uFFFD"),
        replaced(DataType.JSONB, new BsonSymbol("\u0000")));

    for (DataType t : java.util.List.of(DataType.Text, DataType.JSONB, DataType.Any)) {
      Coercion.Result text = Coercion.coerce(t, new BsonString("a \\u0000 literal"));
      assertFalse(text.nulReplaced(), "a backslash-u text is no NUL");
      assertEquals("a \\u0000 literal", text.value());
      assertFalse(Coercion.coerce(t, new BsonString("plain")).nulReplaced());
      assertFalse(
          Coercion.coerce(t, new BsonDocument("k", new BsonString("\\u0000"))).nulReplaced());
      assertFalse(Coercion.coerce(t, BsonNull.VALUE).nulReplaced());
    }
    Coercion.Result typeMismatch = Coercion.coerce(DataType.Integer, new BsonString("\u0000"));
    assertTrue(typeMismatch.mismatch());
    assertFalse(typeMismatch.nulReplaced(), "a value that became null replaced nothing");
  }

  @Test
  void anyKeepsScalarsAndEncodesDocumentsAndArrays() {
    assertEquals("s", ok(DataType.Any, new BsonString("s")));
    assertEquals(true, ok(DataType.Any, BsonBoolean.TRUE));
    assertEquals(3L, ok(DataType.Any, new BsonInt32(3)));
    assertEquals(4L, ok(DataType.Any, new BsonInt64(4)));
    assertEquals(1.25, ok(DataType.Any, new BsonDouble(1.25)));
    assertEquals("Infinity", ok(DataType.Any, new BsonDouble(Double.POSITIVE_INFINITY)));
    assertEquals(0.1, ok(DataType.Any, dec("0.1")));
    assertEquals("12345678901234567890.123", ok(DataType.Any, dec("12345678901234567890.123")));
    assertEquals(OID.toHexString(), ok(DataType.Any, new BsonObjectId(OID)));
    assertEquals("2024-01-02T03:04:05.006Z", ok(DataType.Any, new BsonDateTime(MILLIS)));
    assertEquals(U.toString(), ok(DataType.Any, uuid(U)));
    assertEquals(
        new JsonObject().put("a", 1), ok(DataType.Any, new BsonDocument("a", new BsonInt32(1))));
    assertEquals(
        new JsonArray().add("a"),
        ok(DataType.Any, new BsonArray(java.util.List.of(new BsonString("a")))));
    Object bin = ok(DataType.Any, new BsonBinary(new byte[] {1, 2}));
    assertTrue(
        bin instanceof JsonObject o && o.containsKey("$binary"),
        "other binaries as relaxed JSON: " + bin);
  }
}
