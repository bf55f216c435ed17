package io.emcachers.core.projection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.model.Column;
import io.emcachers.core.model.DataType;
import io.emcachers.core.model.Shape;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonNull;
import org.bson.BsonObjectId;
import org.bson.BsonString;
import org.bson.BsonValue;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;

class ProjectionTest {

  static final Shape SHAPE =
      new Shape(
          "users",
          "users",
          List.of(
              new Column("name", DataType.Text, "name"),
              new Column("age", DataType.Integer, "age"),
              new Column("city", DataType.Text, "address.city"),
              new Column("first_tag", DataType.Text, "tags.0"),
              new Column("score", DataType.Number, "stats.score"),
              new Column("active", DataType.Bool, "active"),
              new Column("profile", DataType.JSONB, "profile"),
              new Column("extra", DataType.Any, "extra")));

  @Test
  void projectsEveryColumnByPath() {
    BsonDocument doc =
        BsonDocument.parse(
            """
        {"_id": {"$oid": "65a1b2c3d4e5f60718293a4b"}, "name": "Ada", "age": 36,
         "address": {"city": "London", "zip": "N1"}, "tags": ["math", "code"],
         "stats": {"score": 9.5}, "active": true, "profile": {"a": [1, 2]}, "extra": {"$numberLong": "7"}}
        """);
    Projection.Projected p = Projection.project(SHAPE, doc);
    assertTrue(p.clean());
    JsonObject expected =
        new JsonObject()
            .put("name", "Ada")
            .put("age", 36L)
            .put("city", "London")
            .put("first_tag", "math")
            .put("score", 9.5)
            .put("active", true)
            .put("profile", new JsonObject().put("a", new JsonArray().add(1).add(2)))
            .put("extra", 7L);
    assertEquals(expected, p.data());
  }

  @Test
  void missingPathsGiveNullWithoutError() {
    Projection.Projected p =
        Projection.project(
            SHAPE,
            BsonDocument.parse("{\"_id\": 1, \"address\": \"not a document\", \"tags\": []}"));
    assertTrue(p.clean());
    for (Column c : SHAPE.columns()) {
      assertTrue(p.data().containsKey(c.name()), "every column present: " + c.name());
      assertNull(p.data().getValue(c.name()));
    }
  }

  @Test
  void misfitsBecomeNullAndAreListed() {
    BsonDocument doc =
        BsonDocument.parse(
            "{\"_id\": 1, \"name\": {\"first\": \"A\"}, \"age\": \"old\", \"active\": 1, \"stats\": {\"score\": \"high\"}}");
    Projection.Projected p = Projection.project(SHAPE, doc);
    assertEquals(
        List.of("name", "age", "score", "active"),
        p.mismatches().stream().map(Projection.Mismatch::column).toList());
    assertEquals("DOCUMENT", p.mismatches().get(0).bsonType());
    assertNull(p.data().getValue("name"));
    assertNull(p.data().getValue("age"));
    assertTrue(p.data().containsKey("age"));
  }

  @Test
  void arraySegmentsAndNullsResolve() {
    DocumentPath path = DocumentPath.of("a.1.b");
    assertEquals(
        new BsonInt32(2), path.resolve(BsonDocument.parse("{\"a\": [{\"b\": 1}, {\"b\": 2}]}")));
    assertNull(path.resolve(BsonDocument.parse("{\"a\": [{\"b\": 1}]}")));
    assertNull(DocumentPath.of("a.b").resolve(BsonDocument.parse("{\"a\": [{\"b\": 1}]}")));
    assertEquals(BsonNull.VALUE, DocumentPath.of("a").resolve(BsonDocument.parse("{\"a\": null}")));
    assertThrows(IllegalArgumentException.class, () -> DocumentPath.of(""));
  }

  @Test
  void lookupTellsAnArrayOnThePathFromAMissingField() {
    DocumentPath ab = DocumentPath.of("a.b");
    DocumentPath.Resolved onArray = ab.lookup(BsonDocument.parse("{\"a\": [{\"b\": 1}]}"));
    assertNull(onArray.value());
    assertTrue(onArray.arrayOnPath());
    assertEquals("a", onArray.arrayAt(), "the prefix that holds the array");
    DocumentPath abc = DocumentPath.of("a.b.c");
    assertTrue(abc.lookup(BsonDocument.parse("{\"a\": {\"b\": [1, 2]}}")).arrayOnPath());
    assertEquals("a.b", abc.lookup(BsonDocument.parse("{\"a\": {\"b\": [1, 2]}}")).arrayAt());
    assertTrue(
        DocumentPath.of("a.0.b")
            .lookup(BsonDocument.parse("{\"a\": [[{\"b\": 1}]]}"))
            .arrayOnPath(),
        "an array inside an array");
    assertEquals(
        "a.0",
        DocumentPath.of("a.0.b").lookup(BsonDocument.parse("{\"a\": [[{\"b\": 1}]]}")).arrayAt());
    assertEquals(
        new BsonInt32(1),
        DocumentPath.of("a.0.0.b").lookup(BsonDocument.parse("{\"a\": [[{\"b\": 1}]]}")).value());

    for (String doc :
        List.of(
            "{}",
            "{\"a\": null}",
            "{\"a\": 5}",
            "{\"a\": \"text\"}",
            "{\"a\": {}}",
            "{\"a\": {\"b\": null}}")) {
      DocumentPath.Resolved r = ab.lookup(BsonDocument.parse(doc));
      assertFalse(r.arrayOnPath(), doc);
      assertNull(r.arrayAt(), doc);
    }
    DocumentPath.Resolved atEnd = ab.lookup(BsonDocument.parse("{\"a\": {\"b\": [1]}}"));
    assertEquals(
        new BsonArray(List.of(new BsonInt32(1))), atEnd.value(), "an array at the end is a value");
    assertFalse(atEnd.arrayOnPath());
    DocumentPath.Resolved outOfRange =
        DocumentPath.of("tags.5").lookup(BsonDocument.parse("{\"tags\": [\"x\"]}"));
    assertNull(outOfRange.value());
    assertFalse(outOfRange.arrayOnPath(), "an index out of range is a missing value");
    DocumentPath.Resolved huge =
        DocumentPath.of("tags.99999999999").lookup(BsonDocument.parse("{\"tags\": [\"x\"]}"));
    assertNull(huge.value());
    assertFalse(huge.arrayOnPath(), "an index beyond int range is out of range, not a field name");
    assertEquals(
        new BsonString("x"),
        DocumentPath.of("tags.0").lookup(BsonDocument.parse("{\"tags\": [\"x\"]}")).value());
    assertEquals(
        new BsonString("y"),
        DocumentPath.of("m.0").lookup(BsonDocument.parse("{\"m\": {\"0\": \"y\"}}")).value(),
        "a digit segment on a document is a field name");
  }

  @Test
  void anArrayOnAColumnPathIsNullAndAMismatch() {
    Shape shape =
        new Shape(
            "t",
            "t",
            List.of(
                new Column("city", DataType.Text, "address.city"),
                new Column("score", DataType.Number, "stats.score"),
                new Column("deep", DataType.JSONB, "x.y.z"),
                new Column("first_tag", DataType.Text, "tags.0"),
                new Column("tags", DataType.JSONB, "tags"),
                new Column("any_tags", DataType.Any, "tags"),
                new Column("second_city", DataType.Text, "address.1.city"),
                new Column("missing", DataType.Text, "tags.9")));
    BsonDocument doc =
        BsonDocument.parse(
            """
        {"_id": 1, "address": [{"city": "London"}, {"city": "Paris"}], "stats": [1, 2], "x": {"y": [{"z": 1}]},
         "tags": ["a", "b"]}
        """);
    Projection.Projected p = Projection.project(shape, doc);
    assertEquals(
        List.of("city", "score", "deep"),
        p.mismatches().stream().map(Projection.Mismatch::column).toList());
    for (Projection.Mismatch m : p.mismatches()) {
      assertEquals(Projection.Mismatch.ARRAY_ON_PATH, m.reason());
      assertEquals("ARRAY", m.bsonType());
      assertTrue(m.nulled());
      assertTrue(p.data().containsKey(m.column()));
      assertNull(p.data().getValue(m.column()));
    }
    assertEquals("x.y.z", p.mismatches().get(2).path());
    assertEquals(DataType.JSONB, p.mismatches().get(2).type());
    assertEquals("a", p.data().getValue("first_tag"));
    assertEquals(new JsonArray().add("a").add("b"), p.data().getValue("tags"));
    assertEquals(new JsonArray().add("a").add("b"), p.data().getValue("any_tags"));
    assertEquals("Paris", p.data().getValue("second_city"));
    assertTrue(p.data().containsKey("missing"));
    assertNull(p.data().getValue("missing"));
  }

  @Test
  void nulInStringsBecomesReplacementCharacterAndIsReportedButKept() {
    Shape shape =
        new Shape(
            "t",
            "t",
            List.of(
                new Column("name", DataType.Text, "name"),
                new Column("profile", DataType.JSONB, "profile"),
                new Column("extra", DataType.Any, "extra"),
                new Column("extra_doc", DataType.Any, "extra_doc"),
                new Column("clean", DataType.Text, "clean"),
                new Column("escaped", DataType.JSONB, "escaped")));
    BsonDocument doc =
        new BsonDocument("_id", new BsonInt32(1))
            .append("name", new BsonString("A\u0000da\u0000"))
            .append(
                "profile",
                new BsonDocument(
                        "k\u0000",
                        new BsonArray(List.of(new BsonString("v\u0000"), new BsonInt32(2))))
                    .append("nested", new BsonDocument("s", new BsonString("\u0000"))))
            .append("extra", new BsonString("x\u0000"))
            .append("extra_doc", new BsonArray(List.of(new BsonDocument("\u0000", BsonNull.VALUE))))
            .append("clean", new BsonString("no nul here"))
            .append(
                "escaped",
                new BsonDocument("k", new BsonString("backslash-u \\u0000 is text, not a NUL")));
    Projection.Projected p = Projection.project(shape, doc);
    assertEquals(
        List.of("name", "profile", "extra", "extra_doc"),
        p.mismatches().stream().map(Projection.Mismatch::column).toList(),
        "one mismatch per column whose value had a NUL");
    for (Projection.Mismatch m : p.mismatches()) {
      assertEquals(Projection.Mismatch.NUL_REPLACED, m.reason());
      assertFalse(m.nulled(), "the value is kept");
    }
    assertEquals("STRING", p.mismatches().get(0).bsonType());
    assertEquals("DOCUMENT", p.mismatches().get(1).bsonType());
    assertEquals("ARRAY", p.mismatches().get(3).bsonType());
    assertEquals("A\uFFFDda\uFFFD", p.data().getString("name"));
    assertEquals(
        new JsonObject()
            .put("k\uFFFD", new JsonArray().add("v\uFFFD").add(2))
            .put("nested", new JsonObject().put("s", "\uFFFD")),
        p.data().getJsonObject("profile"));
    assertEquals("x\uFFFD", p.data().getString("extra"));
    assertEquals(
        new JsonArray().add(new JsonObject().putNull("\uFFFD")),
        p.data().getJsonArray("extra_doc"));
    assertEquals("no nul here", p.data().getString("clean"));
    assertEquals(
        "backslash-u \\u0000 is text, not a NUL", p.data().getJsonObject("escaped").getString("k"));
    String encoded = p.data().encode();
    assertFalse(encoded.contains("\u0000"), encoded);
    assertEquals(
        1,
        encoded.split("u0000", -1).length - 1,
        "only the literal backslash-u text is left: " + encoded);
  }

  @Test
  void mismatchReasonsAndMessages() {
    Projection.Mismatch legacy = new Projection.Mismatch("c", DataType.Integer, "p", "STRING");
    assertEquals(
        Projection.Mismatch.TYPE_MISMATCH,
        legacy.reason(),
        "the four-argument form is a type mismatch");
    assertTrue(legacy.message().contains("Integer"), legacy.message());
    Projection.Mismatch nul =
        new Projection.Mismatch(
            "c", DataType.Text, "p", "STRING", Projection.Mismatch.NUL_REPLACED);
    assertFalse(nul.nulled());
    assertTrue(nul.message().contains("U+FFFD"), nul.message());
    assertTrue(
        new Projection.Mismatch(
                "c", DataType.Text, "a.b", "ARRAY", Projection.Mismatch.ARRAY_ON_PATH)
            .message()
            .contains("array"));
    assertThrows(
        IllegalArgumentException.class,
        () -> new Projection.Mismatch("c", DataType.Text, "p", "STRING", "other"));
  }

  @Test
  void relaxedJsonWrapRoundTrips() {
    for (BsonValue v :
        List.<BsonValue>of(
            new BsonObjectId(new ObjectId()),
            new BsonString("x"),
            new BsonInt32(3),
            new BsonInt64(1L << 40),
            new BsonDouble(2.5),
            BsonDocument.parse("{\"k\": [1, \"a\"]}"))) {
      JsonObject wrapped = BsonJson.wrap(v);
      assertEquals(v, BsonJson.unwrap(wrapped.copy()), "round trip of " + v);
      assertEquals(
          v, BsonJson.unwrap(new JsonObject(wrapped.encode())), "round trip through text of " + v);
    }
    assertNull(BsonJson.unwrap(null));
  }

  @Test
  void sourceFieldsReadWhatTheShapeAndItsFilterLookAtAndProjectTheSame() {
    Shape filtered =
        new Shape(
            "users",
            "users",
            SHAPE.columns(),
            List.of(),
            new JsonObject("{\"$or\": [{\"status\": \"open\"}, {\"meta.level\": {\"$gt\": 2}}]}"));
    Projection projection = new Projection(filtered);
    assertEquals(
        BsonDocument.parse(
            "{\"_id\": 1, \"name\": 1, \"age\": 1, \"address\": 1, \"tags\": 1, \"stats\": 1,"
                + " \"active\": 1, \"profile\": 1, \"extra\": 1, \"meta\": 1, \"status\": 1}"),
        projection.sourceFields());
    // a document cut down to those fields projects and filters exactly as the whole document
    for (String json :
        List.of(
            "{\"_id\": 1, \"name\": \"a\", \"bio\": \"long text\", \"status\": \"open\","
                + " \"address\": [{\"city\": \"x\"}], \"tags\": [\"t\"], \"blob\": {\"$binary\":"
                + " {\"base64\": \"AAEC\", \"subType\": \"00\"}}}",
            "{\"_id\": 2, \"meta\": {\"level\": 3, \"other\": 1}, \"stats\": {\"score\": 1.5},"
                + " \"unrelated\": [1, 2, 3]}",
            "{\"_id\": 3, \"status\": \"closed\", \"profile\": {\"z\": 1, \"a\": 2}}")) {
      BsonDocument whole = BsonDocument.parse(json);
      BsonDocument cut = new BsonDocument();
      for (String f : projection.sourceFields().keySet()) {
        if (whole.containsKey(f)) {
          cut.append(f, whole.get(f));
        }
      }
      assertEquals(projection.matches(whole), projection.matches(cut), json);
      assertEquals(projection.project(whole), projection.project(cut), json);
    }
  }

  @Test
  void aFieldNoProjectionCanNameMeansWholeDocuments() {
    Shape dollar = new Shape("odd", "odd", List.of(new Column("price", DataType.Number, "$price")));
    assertNull(new Projection(dollar).sourceFields());
  }
}
