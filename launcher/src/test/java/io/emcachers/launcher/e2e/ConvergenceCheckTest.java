package io.emcachers.launcher.e2e;

import static io.emcachers.launcher.e2e.PipelineHarness.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.launcher.e2e.ConvergenceCheck.Column;
import io.emcachers.launcher.e2e.ConvergenceCheck.Type;
import io.vertx.core.json.JsonArray;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.bson.BsonArray;
import org.bson.BsonBinary;
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
import org.bson.BsonTimestamp;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;

/**
 * The checker's own projection, doc-id rule and diff against hand-computed expectations (no
 * servers).
 */
class ConvergenceCheckTest {

  static ConvergenceCheck.JsonTree json(String text) {
    return ConvergenceCheck.parseJson(text);
  }

  @Test
  void docIdRule() {
    assertEquals("abc", ConvergenceCheck.docId(new BsonString("abc")));
    assertEquals("1", ConvergenceCheck.docId(new BsonString("1")));
    assertEquals("~s:", ConvergenceCheck.docId(new BsonString("")));
    assertEquals("~s:~tilde", ConvergenceCheck.docId(new BsonString("~tilde")));
    assertEquals(
        "~s:65a1b2c3d4e5f60718293a4b",
        ConvergenceCheck.docId(new BsonString("65a1b2c3d4e5f60718293a4b")));
    assertEquals(
        "65A1B2C3D4E5F60718293A4B",
        ConvergenceCheck.docId(new BsonString("65A1B2C3D4E5F60718293A4B")),
        "upper-case hex is no ObjectId text");
    assertEquals("~s:a\\0b\\\\c", ConvergenceCheck.docId(new BsonString("a\u0000b\\c")));
    assertEquals(
        "a\\b",
        ConvergenceCheck.docId(new BsonString("a\\b")),
        "a backslash alone needs no escape");
    assertEquals(
        "65a1b2c3d4e5f60718293a4b",
        ConvergenceCheck.docId(new BsonObjectId(new ObjectId("65a1b2c3d4e5f60718293a4b"))));
    assertEquals("~n:1", ConvergenceCheck.docId(new BsonInt32(1)));
    assertEquals("~n:1", ConvergenceCheck.docId(new BsonInt64(1)));
    assertEquals("~n:1", ConvergenceCheck.docId(new BsonDouble(1.0)));
    assertEquals("~n:1", ConvergenceCheck.docId(new BsonDecimal128(Decimal128.parse("1.000"))));
    assertEquals("~n:-42", ConvergenceCheck.docId(new BsonInt64(-42)));
    assertEquals("~n:1.5", ConvergenceCheck.docId(new BsonDouble(1.5)));
    assertEquals(
        "~n:0.1000000000000000055511151231257827021181583404541015625",
        ConvergenceCheck.docId(new BsonDouble(0.1)));
    assertEquals("~n:0.1", ConvergenceCheck.docId(new BsonDecimal128(Decimal128.parse("0.1"))));
    assertEquals("~n:0", ConvergenceCheck.docId(new BsonDouble(0.0)));
    assertEquals("~n:0", ConvergenceCheck.docId(new BsonDouble(-0.0)));
    assertEquals("~n:0", ConvergenceCheck.docId(new BsonDecimal128(Decimal128.parse("0E-5"))));
    assertEquals("~n:0", ConvergenceCheck.docId(new BsonDecimal128(Decimal128.NEGATIVE_ZERO)));
    assertEquals("~n:NaN", ConvergenceCheck.docId(new BsonDouble(Double.NaN)));
    assertEquals("~n:Infinity", ConvergenceCheck.docId(new BsonDouble(Double.POSITIVE_INFINITY)));
    assertEquals(
        "~n:-Infinity", ConvergenceCheck.docId(new BsonDecimal128(Decimal128.NEGATIVE_INFINITY)));
    assertEquals(
        "~n:10000000000000000000000",
        ConvergenceCheck.docId(new BsonDouble(1e22)),
        "integral below 10^40: plain digits");
    assertEquals(
        "~n:1E+40",
        ConvergenceCheck.docId(new BsonDecimal128(Decimal128.parse("1E+40"))),
        "10^40 itself: BigDecimal.toString");
    assertEquals(
        "~n:1E-7", ConvergenceCheck.docId(new BsonDecimal128(Decimal128.parse("0.00000010"))));
    assertEquals("~b:true", ConvergenceCheck.docId(BsonBoolean.TRUE));
    assertEquals("~b:false", ConvergenceCheck.docId(BsonBoolean.FALSE));
    assertEquals(
        "~d:2024-01-02T03:04:05.006Z", ConvergenceCheck.docId(new BsonDateTime(1704164645006L)));
    assertEquals("~d:1970-01-01T00:00:00.000Z", ConvergenceCheck.docId(new BsonDateTime(0)));
    UUID u = UUID.fromString("123e4567-e89b-12d3-a456-426614174000");
    assertEquals(
        "~u:123e4567-e89b-12d3-a456-426614174000", ConvergenceCheck.docId(new BsonBinary(u)));
    assertEquals(
        "123e4567-e89b-12d3-a456-426614174000",
        ConvergenceCheck.docId(new BsonString(u.toString())));
    assertEquals("~null", ConvergenceCheck.docId(BsonNull.VALUE));
    assertEquals(
        "~s:~null",
        ConvergenceCheck.docId(new BsonString("~null")),
        "a string cannot pass for null");
    assertEquals("~s:~s:~null", ConvergenceCheck.docId(new BsonString("~s:~null")));
    assertEquals("null", ConvergenceCheck.docId(new BsonString("null")));
    assertEquals(
        "~j:{\"v\": {\"a\": {\"$numberInt\": \"1\"}}}",
        ConvergenceCheck.docId(new BsonDocument("a", new BsonInt32(1))));
    assertEquals("{\"a\":1}", ConvergenceCheck.docId(new BsonString("{\"a\":1}")));
    assertEquals(
        "~j:{\"v\": [{\"$numberInt\": \"1\"}, \"x\"]}",
        ConvergenceCheck.docId(new BsonArray(List.of(new BsonInt32(1), new BsonString("x")))));
    assertEquals(
        "~j:{\"v\": {\"$binary\": {\"base64\": \"AQI=\", \"subType\": \"00\"}}}",
        ConvergenceCheck.docId(new BsonBinary(new byte[] {1, 2})));
  }

  @Test
  void projectionFollowsTheCoercionTable() {
    BsonDocument doc =
        new BsonDocument("_id", new BsonInt32(7))
            .append("s", new BsonString("hi"))
            .append("i", new BsonInt64(42))
            .append("d", new BsonDouble(2.5))
            .append("w", new BsonDouble(3.0))
            .append("tiny", new BsonDouble(1e-7))
            .append("dec", new BsonDecimal128(Decimal128.parse("1.10")))
            .append("dec01", new BsonDecimal128(Decimal128.parse("0.1")))
            .append("declong", new BsonDecimal128(Decimal128.parse("12345678901234567890.123")))
            .append("b", BsonBoolean.TRUE)
            .append("dt", new BsonDateTime(1704164645006L))
            .append("oid", new BsonObjectId(new ObjectId("65a1b2c3d4e5f60718293a4b")))
            .append("uuid", new BsonBinary(UUID.fromString("123e4567-e89b-12d3-a456-426614174000")))
            .append("arr", new BsonArray(List.of(new BsonString("x"), new BsonInt32(2))))
            .append("sub", new BsonDocument("city", new BsonString("Oslo")))
            .append("docs", new BsonArray(List.of(new BsonDocument("city", new BsonString("A")))))
            .append("nul", new BsonString("a\u0000b"))
            .append("nan", new BsonDouble(Double.NaN))
            .append("ts", new BsonTimestamp(5, 1))
            .append("none", BsonNull.VALUE);
    List<Column> cols = new ArrayList<>();
    Map<String, Object> expected = new LinkedHashMap<>();
    add(cols, expected, "id", "Text", "_id", "7");
    add(cols, expected, "s", "Text", "s", "hi");
    add(cols, expected, "i_text", "Text", "i", "42");
    add(cols, expected, "d_text", "Text", "d", "2.5");
    add(cols, expected, "w_text", "Text", "w", "3");
    add(cols, expected, "tiny_text", "Text", "tiny", "0.0000001");
    add(cols, expected, "dec_text", "Text", "dec", "1.10");
    add(cols, expected, "b_text", "Text", "b", "true");
    add(cols, expected, "dt_text", "Text", "dt", "2024-01-02T03:04:05.006Z");
    add(cols, expected, "oid_text", "Text", "oid", "65a1b2c3d4e5f60718293a4b");
    add(cols, expected, "uuid_text", "Text", "uuid", "123e4567-e89b-12d3-a456-426614174000");
    add(cols, expected, "nan_text", "Text", "nan", "NaN");
    add(cols, expected, "sub_text", "Text", "sub", null);
    add(cols, expected, "arr_text", "Text", "arr", null);
    add(cols, expected, "ts_text", "Text", "ts", null);
    add(cols, expected, "nul_text", "Text", "nul", "a\uFFFDb");
    add(cols, expected, "city", "Text", "sub.city", "Oslo");
    add(cols, expected, "through_array", "Text", "docs.city", null);
    add(cols, expected, "indexed", "Text", "docs.0.city", "A");
    add(cols, expected, "arr0", "Text", "arr.0", "x");
    add(cols, expected, "arr1", "Integer", "arr.1", 2L);
    add(cols, expected, "arr9", "Text", "arr.9", null);
    add(cols, expected, "missing", "Text", "nope.deeper", null);
    add(cols, expected, "under_scalar", "Text", "s.x", null);
    add(cols, expected, "null_text", "Text", "none", null);
    add(cols, expected, "i", "Integer", "i", 42L);
    add(cols, expected, "d_int", "Integer", "d", null);
    add(cols, expected, "w_int", "Integer", "w", 3L);
    add(cols, expected, "dec_int", "Integer", "dec", null);
    add(cols, expected, "s_int", "Integer", "s", null);
    add(cols, expected, "b_int", "Integer", "b", null);
    add(cols, expected, "d", "Number", "d", 2.5);
    add(cols, expected, "i_num", "Number", "i", 42.0);
    add(cols, expected, "dec_num", "Number", "dec", 1.1);
    add(cols, expected, "declong_num", "Number", "declong", 1.2345678901234567E19);
    add(cols, expected, "nan_num", "Number", "nan", null);
    add(cols, expected, "s_num", "Number", "s", null);
    add(cols, expected, "b", "Bool", "b", true);
    add(cols, expected, "s_bool", "Bool", "s", null);
    add(cols, expected, "i_bool", "Bool", "i", null);
    add(cols, expected, "arr_json", "JSONB", "arr", json("[\"x\",2]"));
    add(cols, expected, "sub_json", "JSONB", "sub", json("{\"city\":\"Oslo\"}"));
    add(cols, expected, "s_json", "JSONB", "s", json("\"hi\""));
    add(cols, expected, "i_json", "JSONB", "i", json("42"));
    add(
        cols,
        expected,
        "oid_json",
        "JSONB",
        "oid",
        json("{\"$oid\":\"65a1b2c3d4e5f60718293a4b\"}"));
    add(cols, expected, "dec_json", "JSONB", "dec", json("{\"$numberDecimal\":\"1.10\"}"));
    add(cols, expected, "dt_json", "JSONB", "dt", json("{\"$date\":\"2024-01-02T03:04:05.006Z\"}"));
    add(cols, expected, "nul_json", "JSONB", "nul", json("\"a\\ufffdb\""));
    add(cols, expected, "null_json", "JSONB", "none", null);
    add(cols, expected, "missing_json", "JSONB", "nope", null);
    add(cols, expected, "any_s", "Any", "s", "hi");
    add(cols, expected, "any_i", "Any", "i", 42L);
    add(cols, expected, "any_d", "Any", "d", 2.5);
    add(cols, expected, "any_b", "Any", "b", 1L);
    add(cols, expected, "any_nan", "Any", "nan", "NaN");
    add(cols, expected, "any_dec01", "Any", "dec01", 0.1);
    add(cols, expected, "any_declong", "Any", "declong", "12345678901234567890.123");
    add(cols, expected, "any_oid", "Any", "oid", "65a1b2c3d4e5f60718293a4b");
    add(cols, expected, "any_dt", "Any", "dt", "2024-01-02T03:04:05.006Z");
    add(cols, expected, "any_uuid", "Any", "uuid", "123e4567-e89b-12d3-a456-426614174000");
    add(cols, expected, "any_sub", "Any", "sub", json("{\"city\":\"Oslo\"}"));
    add(cols, expected, "any_arr", "Any", "arr", json("[\"x\",2]"));
    add(cols, expected, "any_ts", "Any", "ts", json("{\"$timestamp\":{\"t\":5,\"i\":1}}"));
    add(cols, expected, "any_nul", "Any", "nul", "a\uFFFDb");

    Map<String, Object> row = ConvergenceCheck.project(doc, cols);
    for (String name : expected.keySet()) {
      assertEquals(expected.get(name), row.get(name), "column " + name);
    }
    assertEquals(expected, row);
  }

  private static void add(
      List<Column> cols,
      Map<String, Object> expected,
      String name,
      String type,
      String path,
      Object value) {
    cols.add(new Column(name, Type.of(type), path));
    expected.put(name, value);
  }

  @Test
  void storedValuesNormalizeLikeTheirExpectations() {
    // what a JDBC getObject returns for each column type
    assertEquals(42L, ConvergenceCheck.stored(Type.INTEGER, 42));
    assertEquals(2.5, ConvergenceCheck.stored(Type.NUMBER, 2.5));
    assertEquals(
        42.0,
        ConvergenceCheck.stored(Type.NUMBER, 42),
        "a REAL column read back as an integer still compares by value");
    assertEquals(true, ConvergenceCheck.stored(Type.BOOL, 1));
    assertEquals(false, ConvergenceCheck.stored(Type.BOOL, 0));
    assertNotEquals(true, ConvergenceCheck.stored(Type.BOOL, 2));
    assertEquals(
        json("{\"$date\":\"2024-01-02T03:04:05.006Z\"}"),
        ConvergenceCheck.stored(Type.JSONB, "{\"$date\": \"2024-01-02T03:04:05.006Z\"}"));
    assertEquals(
        json("{\"$date\":\"2024-01-02T03:04:05Z\"}"),
        json("{\"$date\":\"2024-01-02T03:04:05.000Z\"}"),
        "$date spelling does not matter");
    assertEquals(
        json("{\"a\":1,\"b\":[1.0,\"x\"]}"),
        ConvergenceCheck.stored(Type.JSONB, "{ \"b\": [1, \"x\"], \"a\": 1.00 }"),
        "key order and number spelling do not matter");
    assertNotEquals(
        json("\"5\""),
        ConvergenceCheck.stored(Type.JSONB, "5"),
        "a JSON string is not a JSON number");
    assertEquals(
        json("{\"city\":\"Oslo\"}"), ConvergenceCheck.stored(Type.ANY, "{\"city\": \"Oslo\"}"));
    assertEquals("hi", ConvergenceCheck.stored(Type.ANY, "hi"));
    assertEquals(1L, ConvergenceCheck.stored(Type.ANY, 1));
    assertNotEquals(
        1L,
        ConvergenceCheck.stored(Type.ANY, 1.0),
        "Any keeps the integer / real storage class apart");
    assertNotEquals(
        "5", ConvergenceCheck.stored(Type.TEXT, 5), "a number in a Text column is a mismatch");
    assertTrue(
        String.valueOf(ConvergenceCheck.stored(Type.JSONB, "{nope"))
            .startsWith("<unparseable JSON>"));
  }

  @Test
  void expectedRowsAndDiffNameMissingExtraAndDifferingRows() {
    JsonArray shape =
        new JsonArray()
            .add(col("id", "Text", "_id"))
            .add(col("n", "Integer", "n"))
            .add(col("tags", "JSONB", "tags"));
    List<Column> cols = Column.of(shape);
    List<BsonDocument> docs =
        List.of(
            new BsonDocument("_id", new BsonString("a"))
                .append("n", new BsonInt32(1))
                .append("tags", new BsonArray(List.of(new BsonString("t")))),
            new BsonDocument("_id", new BsonInt32(1)).append("n", new BsonString("x")),
            new BsonDocument("_id", new BsonString("1")).append("n", new BsonDouble(2.0)),
            new BsonDocument("_id", new BsonString("gone")).append("n", new BsonInt32(3)));
    List<String> collisions = new ArrayList<>();
    Map<String, Map<String, Object>> expected =
        ConvergenceCheck.expectedRows(docs, cols, collisions);
    assertEquals(List.of(), collisions);
    assertEquals(List.of("1", "a", "gone", "~n:1"), new ArrayList<>(expected.keySet()));
    Map<String, Object> one = new LinkedHashMap<>();
    one.put("id", "1");
    one.put("n", null);
    one.put("tags", null);
    assertEquals(
        one,
        expected.get("~n:1"),
        "an int _id in a Text column is its decimal text; a string in an Integer column is NULL");

    // rows as the cache would hold them (JDBC values), one of each kind of difference
    Map<String, Map<String, Object>> raw = new TreeMap<>();
    raw.put("a", row("a", 1, "[\"t\"]"));
    raw.put("~n:1", row("1", null, null));
    raw.put("1", row("1", 2, "[]"));
    raw.put("stale", row("stale", 9, null));
    Map<String, Map<String, Object>> stored = ConvergenceCheck.storedRows(raw, cols);
    String diff = ConvergenceCheck.diff(expected, stored);
    assertTrue(diff.contains("missing 1, extra 1, differing 1"), diff);
    assertTrue(diff.contains("\"gone\" {id=\"gone\", n=3, tags=NULL}"), diff);
    assertTrue(diff.contains("\"stale\" {id=\"stale\", n=9, tags=NULL}"), diff);
    assertTrue(diff.contains("\"1\": tags: expected NULL, cached json []"), diff);

    Map<String, Map<String, Object>> same = new TreeMap<>(stored);
    same.remove("stale");
    same.get("1").put("tags", null);
    same.put(
        "gone",
        ConvergenceCheck.storedRows(Map.of("gone", row("gone", 3L, null)), cols).get("gone"));
    assertNull(ConvergenceCheck.diff(expected, same));

    // a cache file with an older shape lacks a column
    Map<String, Map<String, Object>> oldShape = new TreeMap<>();
    expected.keySet().forEach(id -> oldShape.put(id, new LinkedHashMap<>(Map.of("id", "x"))));
    assertTrue(
        ConvergenceCheck.diff(expected, ConvergenceCheck.storedRows(oldShape, cols))
            .contains("cached <no such column>"));
  }

  @Test
  void collidingDocIdsAreReported() {
    List<String> collisions = new ArrayList<>();
    ConvergenceCheck.expectedRows(
        List.of(
            new BsonDocument("_id", new BsonInt32(1)), new BsonDocument("_id", new BsonInt64(1))),
        Column.of(new JsonArray().add(col("id", "Text", "_id"))),
        collisions);
    assertEquals(List.of("\"~n:1\""), collisions);
  }

  private static Map<String, Object> row(String id, Object n, Object tags) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("id", id);
    r.put("n", n);
    r.put("tags", tags);
    return r;
  }
}
