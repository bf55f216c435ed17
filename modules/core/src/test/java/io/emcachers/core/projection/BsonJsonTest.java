package io.emcachers.core.projection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.List;
import org.bson.BsonArray;
import org.bson.BsonBinary;
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
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;

/**
 * The JSON value of a BSON value is built directly (no text) for the plain types; it must be
 * exactly what writing relaxed Extended JSON and parsing it gives, the definition the listener and
 * the verifier share.
 */
class BsonJsonTest {

  private static final JsonWriterSettings RELAXED =
      JsonWriterSettings.builder().outputMode(JsonMode.RELAXED).build();

  /**
   * The definition: relaxed Extended JSON text, parsed; U+0000 (never escaped-backslash here) →
   * U+FFFD.
   */
  private static Object viaText(BsonValue v) {
    String text = new BsonDocument("v", v).toJson(RELAXED).replace("\\u0000", "\uFFFD");
    return new JsonObject(text).getValue("v");
  }

  private static List<BsonValue> values() {
    BsonDocument nested =
        new BsonDocument("zeta", new BsonInt32(1))
            .append("a", new BsonArray(List.of(new BsonInt64(5), new BsonInt64(1L << 40))))
            .append("n\u0000k", new BsonString("v\u0000"))
            .append("$date", new BsonString("not a date"))
            .append("d", new BsonDocument("when", new BsonDateTime(1_700_000_000_123L)));
    return List.of(
        new BsonString("plain"),
        new BsonString("é ✓ \uD83D\uDE00 \"quoted\" \\ back"),
        new BsonString("nul\u0000inside"),
        BsonBoolean.TRUE,
        new BsonInt32(-7),
        new BsonInt64(42),
        new BsonInt64(Long.MIN_VALUE),
        new BsonDouble(3.0),
        new BsonDouble(-0.0),
        new BsonDouble(1e300),
        new BsonDouble(-2.5e-7),
        new BsonDouble(Double.NaN),
        new BsonDouble(Double.NEGATIVE_INFINITY),
        new BsonDecimal128(Decimal128.parse("1.10")),
        new BsonDateTime(-62_135_596_800_000L),
        new BsonObjectId(new ObjectId("650000000000000000000001")),
        new BsonBinary(new byte[] {1, 2, 3}),
        new BsonRegularExpression("a\u0000b", "i"),
        new BsonTimestamp(5, 6),
        new BsonSymbol("sym"),
        new BsonJavaScript("x => x"),
        new BsonMinKey(),
        new BsonMaxKey(),
        new BsonUndefined(),
        BsonNull.VALUE,
        nested,
        new BsonArray(List.of(nested, BsonNull.VALUE, new BsonArray(), new BsonDocument())));
  }

  @Test
  void directValuesEqualTheRelaxedTextParsed() {
    for (BsonValue v : values()) {
      Object direct = BsonJson.toJsonValueNulFree(v).value();
      Object expected = viaText(v);
      JsonObject d = new JsonObject().put("v", direct);
      JsonObject e = new JsonObject().put("v", expected);
      assertEquals(e.encode(), d.encode(), () -> "value " + v);
      assertEquals(e, d, () -> "value " + v);
      if (expected != null) {
        assertEquals(expected.getClass(), direct.getClass(), () -> "value class of " + v);
      }
    }
  }

  @Test
  void nulReplacementIsFlaggedWhereverItIs() {
    assertTrue(BsonJson.toJsonValueNulFree(new BsonString("a\u0000")).replaced());
    assertTrue(
        BsonJson.toJsonValueNulFree(new BsonDocument("k\u0000", BsonBoolean.TRUE)).replaced());
    assertTrue(
        BsonJson.toJsonValueNulFree(new BsonRegularExpression("a\u0000b", "")).replaced(),
        "inside an extended-JSON wrapper");
    assertFalse(BsonJson.toJsonValueNulFree(new BsonString("clean")).replaced());
    assertFalse(BsonJson.toJsonValueNulFree(new BsonDouble(Double.NaN)).replaced());
  }
}
