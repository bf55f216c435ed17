package io.emcachers.core.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
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
import org.bson.BsonMaxKey;
import org.bson.BsonMinKey;
import org.bson.BsonNull;
import org.bson.BsonObjectId;
import org.bson.BsonRegularExpression;
import org.bson.BsonString;
import org.bson.BsonTimestamp;
import org.bson.BsonUndefined;
import org.bson.BsonValue;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;

class BsonCompareTest {

  static int cmp(BsonValue a, BsonValue b) {
    return Integer.signum(BsonCompare.compare(a, b));
  }

  @Test
  void typeOrderAcrossBrackets() {
    List<BsonValue> ordered =
        List.of(
            new BsonMinKey(),
            BsonNull.VALUE,
            new BsonInt32(1_000_000),
            new BsonString(""),
            new BsonDocument(),
            new BsonArray(),
            new BsonBinary(new byte[0]),
            new BsonObjectId(new ObjectId("000000000000000000000000")),
            BsonBoolean.FALSE,
            new BsonDateTime(Long.MIN_VALUE),
            new BsonTimestamp(0, 0),
            new BsonRegularExpression("a"),
            new BsonMaxKey());
    List<BsonValue> shuffled = new ArrayList<>(ordered);
    Collections.reverse(shuffled);
    shuffled.sort(BsonCompare::compare);
    assertEquals(ordered, shuffled);
    assertEquals(0, cmp(BsonNull.VALUE, new BsonUndefined()), "undefined sorts with null");
  }

  @Test
  void numbersCompareByValueAcrossTypes() {
    BsonValue[] five = {
      new BsonInt32(5),
      new BsonInt64(5),
      new BsonDouble(5.0),
      new BsonDecimal128(Decimal128.parse("5.00")),
    };
    for (BsonValue a : five) {
      for (BsonValue b : five) {
        assertEquals(0, cmp(a, b), a + " vs " + b);
      }
    }
    assertEquals(-1, cmp(new BsonInt64(Long.MAX_VALUE - 1), new BsonInt64(Long.MAX_VALUE)));
    // 2^63 as a double is above every long
    assertEquals(-1, cmp(new BsonInt64(Long.MAX_VALUE), new BsonDouble(9.223372036854775807E18)));
    assertEquals(
        -1,
        cmp(
            new BsonDouble(0.1),
            new BsonDecimal128(Decimal128.parse("0.1000000000000000055511151231257828"))));
    assertEquals(
        1,
        cmp(new BsonDouble(0.1), new BsonDecimal128(Decimal128.parse("0.1"))),
        "double 0.1 is a little above 0.1");
    assertEquals(0, cmp(new BsonDouble(-0.0), new BsonInt32(0)));
    assertEquals(0, cmp(new BsonDecimal128(Decimal128.NEGATIVE_ZERO), new BsonDouble(0.0)));
    assertEquals(-1, cmp(new BsonDouble(-2.5), new BsonInt32(-2)));
  }

  @Test
  void nanAndInfinities() {
    BsonValue nan = new BsonDouble(Double.NaN);
    BsonValue decNan = new BsonDecimal128(Decimal128.NaN);
    assertEquals(0, cmp(nan, decNan));
    assertEquals(-1, cmp(nan, new BsonDouble(Double.NEGATIVE_INFINITY)));
    assertEquals(-1, cmp(new BsonDouble(Double.NEGATIVE_INFINITY), new BsonInt64(Long.MIN_VALUE)));
    assertEquals(
        1, cmp(new BsonDecimal128(Decimal128.POSITIVE_INFINITY), new BsonInt64(Long.MAX_VALUE)));
    assertEquals(
        0,
        cmp(
            new BsonDecimal128(Decimal128.POSITIVE_INFINITY),
            new BsonDouble(Double.POSITIVE_INFINITY)));
  }

  @Test
  void stringsByCodePoint() {
    assertEquals(-1, cmp(new BsonString("B"), new BsonString("a")), "binary, not case-folded");
    assertEquals(-1, cmp(new BsonString("ab"), new BsonString("abc")));
    // U+FFFD (one UTF-16 unit, 0xFFFD) sorts below U+1F600 (surrogates 0xD83D...), as in UTF-8
    assertEquals(-1, cmp(new BsonString("\uFFFD"), new BsonString("\uD83D\uDE00")));
  }

  @Test
  void documentsAndArraysFieldByField() {
    BsonDocument a = BsonDocument.parse("{\"a\": 1, \"b\": 2}");
    assertEquals(0, cmp(a, BsonDocument.parse("{\"a\": 1.0, \"b\": {\"$numberLong\": \"2\"}}")));
    assertEquals(-1, cmp(a, BsonDocument.parse("{\"a\": 1, \"b\": 3}")));
    assertEquals(-1, cmp(a, BsonDocument.parse("{\"a\": 1, \"b\": 2, \"c\": 0}")));
    assertEquals(-1, cmp(a, BsonDocument.parse("{\"b\": 2, \"a\": 1}")), "field order matters");
    assertEquals(
        -1,
        cmp(BsonDocument.parse("{\"a\": 5}"), BsonDocument.parse("{\"a\": \"x\"}")),
        "value bracket first");
    BsonArray x = BsonArray.parse("[1, 2]");
    assertEquals(-1, cmp(x, BsonArray.parse("[1, 3]")));
    assertEquals(-1, cmp(x, BsonArray.parse("[1, 2, 0]")));
    assertEquals(0, cmp(x, BsonArray.parse("[1.0, 2]")));
  }

  @Test
  void otherTypes() {
    assertEquals(-1, cmp(BsonBoolean.FALSE, BsonBoolean.TRUE));
    assertEquals(-1, cmp(new BsonDateTime(-1), new BsonDateTime(0)));
    assertEquals(-1, cmp(new BsonTimestamp(1, 9), new BsonTimestamp(2, 0)));
    assertEquals(
        -1,
        cmp(
            new BsonObjectId(new ObjectId("000000000000000000000001")),
            new BsonObjectId(new ObjectId("ff0000000000000000000000"))));
    assertEquals(
        -1, cmp(new BsonBinary(new byte[] {9}), new BsonBinary(new byte[] {0, 0})), "length first");
    assertEquals(
        -1,
        cmp(new BsonBinary(new byte[] {1}), new BsonBinary(new byte[] {(byte) 0x80})),
        "unsigned bytes");
    assertTrue(BsonCompare.isNaN(new BsonDecimal128(Decimal128.NaN)));
  }
}
