package io.emcachers.core.projection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
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
import org.bson.BsonString;
import org.bson.BsonType;
import org.bson.BsonValue;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;

/** {@link DocIds#toBson} is the inverse of {@link DocIds#docId}. */
class DocIdsToBsonTest {

  static String id(BsonValue v) {
    return DocIds.docId(v);
  }

  @Test
  void branchByBranch() {
    assertEquals(new BsonString("abc"), DocIds.toBson("abc"));
    assertEquals(new BsonString(""), DocIds.toBson("~s:"));
    assertEquals(new BsonString("~x"), DocIds.toBson("~s:~x"));
    assertEquals(new BsonString("~\\a\u0000"), DocIds.toBson("~s:~\\\\a\\0"));
    assertEquals(new BsonString(DocIdsTest.HEX), DocIds.toBson("~s:" + DocIdsTest.HEX));
    assertEquals(new BsonObjectId(new ObjectId(DocIdsTest.HEX)), DocIds.toBson(DocIdsTest.HEX));
    assertEquals(
        new BsonString(DocIdsTest.HEX.toUpperCase()), DocIds.toBson(DocIdsTest.HEX.toUpperCase()));
    assertEquals(new BsonInt64(1), DocIds.toBson("~n:1"));
    assertEquals(new BsonInt64(0), DocIds.toBson("~n:0"));
    assertEquals(new BsonInt64(Long.MIN_VALUE), DocIds.toBson("~n:" + Long.MIN_VALUE));
    assertEquals(new BsonDouble(0.1), DocIds.toBson(id(new BsonDouble(0.1))));
    assertEquals(new BsonDouble(1e20), DocIds.toBson("~n:100000000000000000000"));
    assertEquals(new BsonDouble(0.5), DocIds.toBson("~n:0.5"));
    assertEquals(
        new BsonDecimal128(Decimal128.parse("0.1")), DocIds.toBson("~n:0.1")); // not a double
    assertEquals(
        new BsonDecimal128(Decimal128.parse("9223372036854775809")),
        DocIds.toBson("~n:9223372036854775809"));
    assertEquals(new BsonDouble(Double.NaN), DocIds.toBson("~n:NaN"));
    assertEquals(new BsonDouble(Double.POSITIVE_INFINITY), DocIds.toBson("~n:Infinity"));
    assertEquals(new BsonDouble(Double.NEGATIVE_INFINITY), DocIds.toBson("~n:-Infinity"));
    assertEquals(BsonBoolean.TRUE, DocIds.toBson("~b:true"));
    assertEquals(BsonBoolean.FALSE, DocIds.toBson("~b:false"));
    assertEquals(new BsonDateTime(DocIdsTest.MILLIS), DocIds.toBson("~d:2024-01-02T03:04:05.006Z"));
    BsonValue u = DocIds.toBson("~u:" + DocIdsTest.U);
    assertEquals(BsonType.BINARY, u.getBsonType());
    assertEquals(BsonBinarySubType.UUID_STANDARD.getValue(), u.asBinary().getType());
    assertEquals(DocIdsTest.uuid(DocIdsTest.U), u);
    assertEquals(BsonNull.VALUE, DocIds.toBson("~null"));
    assertEquals(
        new BsonDocument("a", new BsonInt32(1)),
        DocIds.toBson(id(new BsonDocument("a", new BsonInt32(1)))));
  }

  @Test
  void rejectsTextsTheRuleNeverProduces() {
    for (String bad :
        List.of(
            "",
            "~",
            "~x:1",
            "~s:abc", // needs no escape
            "~s:\\x",
            "~n:abc",
            "~n:1.0", // not canonical
            "~n:01",
            "~b:yes",
            "~d:yesterday",
            "~u:not-a-uuid",
            "~j:{",
            "~j:{\"w\": 1}",
            "a\u0000b")) {
      assertThrows(IllegalArgumentException.class, () -> DocIds.toBson(bad), bad);
    }
    assertThrows(IllegalArgumentException.class, () -> DocIds.toBson(null));
  }

  @Test
  void roundTripsEveryDocId() {
    Random random = new Random(20261202L);
    List<BsonValue> values = new ArrayList<>(DocIdsTest.fixedValues());
    for (int i = 0; i < 20_000; i++) {
      values.add(DocIdsTest.generate(random, 0));
    }
    for (BsonValue v : new ArrayList<>(values)) {
      values.add(new BsonString(id(v))); // strings that look like doc ids
    }
    values.add(new BsonDateTime(Long.MAX_VALUE));
    values.add(new BsonDateTime(Long.MIN_VALUE));
    values.add(new BsonDateTime(-1));
    values.add(new BsonBinary(UUID.randomUUID(), org.bson.UuidRepresentation.STANDARD));
    values.add(new BsonInt64(Long.MAX_VALUE));
    values.add(new BsonDouble(Double.MAX_VALUE));
    values.add(new BsonDouble(Double.MIN_VALUE));
    values.add(new BsonDouble(-0.0));
    values.add(new BsonDecimal128(Decimal128.parse("-0")));
    values.add(new BsonDecimal128(Decimal128.parse("1234567890123456789012345678901234")));
    for (BsonValue v : values) {
      String docId = id(v);
      BsonValue back = DocIds.toBson(docId);
      assertEquals(docId, id(back), () -> "round trip of " + v + " via " + docId);
    }
  }
}
