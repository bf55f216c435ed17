package io.emcachers.core.projection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.model.Column;
import io.emcachers.core.model.DataType;
import io.emcachers.core.model.Shape;
import io.vertx.core.json.JsonObject;
import java.util.List;
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

  static final Shape SHAPE = new Shape("users", "users", List.of(
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
    BsonDocument doc = BsonDocument.parse("""
        {"_id": {"$oid": "65a1b2c3d4e5f60718293a4b"}, "name": "Ada", "age": 36,
         "address": {"city": "London", "zip": "N1"}, "tags": ["math", "code"],
         "stats": {"score": 9.5}, "active": true, "profile": {"a": [1, 2]}, "extra": {"$numberLong": "7"}}
        """);
    Projection.Projected p = Projection.project(SHAPE, doc);
    assertTrue(p.clean());
    JsonObject expected = new JsonObject()
        .put("name", "Ada").put("age", 36L).put("city", "London").put("first_tag", "math").put("score", 9.5)
        .put("active", true).put("profile", new JsonObject().put("a", new io.vertx.core.json.JsonArray().add(1).add(2))).put("extra", 7L);
    assertEquals(expected, p.data());
  }

  @Test
  void missingPathsGiveNullWithoutError() {
    Projection.Projected p = Projection.project(SHAPE, BsonDocument.parse("{\"_id\": 1, \"address\": \"not a document\", \"tags\": []}"));
    assertTrue(p.clean());
    for (Column c : SHAPE.columns()) {
      assertTrue(p.data().containsKey(c.name()), "every column present: " + c.name());
      assertNull(p.data().getValue(c.name()));
    }
  }

  @Test
  void misfitsBecomeNullAndAreListed() {
    BsonDocument doc = BsonDocument.parse("{\"_id\": 1, \"name\": {\"first\": \"A\"}, \"age\": \"old\", \"active\": 1, \"stats\": {\"score\": \"high\"}}");
    Projection.Projected p = Projection.project(SHAPE, doc);
    assertEquals(List.of("name", "age", "score", "active"), p.mismatches().stream().map(Projection.Mismatch::column).toList());
    assertEquals("DOCUMENT", p.mismatches().get(0).bsonType());
    assertNull(p.data().getValue("name"));
    assertNull(p.data().getValue("age"));
    assertTrue(p.data().containsKey("age"));
  }

  @Test
  void arraySegmentsAndNullsResolve() {
    DocumentPath path = DocumentPath.of("a.1.b");
    assertEquals(new BsonInt32(2), path.resolve(BsonDocument.parse("{\"a\": [{\"b\": 1}, {\"b\": 2}]}")));
    assertNull(path.resolve(BsonDocument.parse("{\"a\": [{\"b\": 1}]}")));
    assertNull(DocumentPath.of("a.b").resolve(BsonDocument.parse("{\"a\": [{\"b\": 1}]}")));
    assertEquals(BsonNull.VALUE, DocumentPath.of("a").resolve(BsonDocument.parse("{\"a\": null}")));
    assertThrows(IllegalArgumentException.class, () -> DocumentPath.of(""));
  }

  @Test
  void docIds() {
    assertEquals("65a1b2c3d4e5f60718293a4b", DocIds.docId(new BsonObjectId(new ObjectId("65a1b2c3d4e5f60718293a4b"))));
    assertEquals("abc", DocIds.docId(new BsonString("abc")));
    assertEquals("5", DocIds.docId(new BsonInt32(5)));
    assertEquals("5", DocIds.docId(new BsonInt64(5)));
    assertEquals("5", DocIds.docId(new BsonDouble(5.0)));
    assertEquals("{\"a\":1}", DocIds.docId(BsonDocument.parse("{\"a\": 1}")));
    assertThrows(IllegalArgumentException.class, () -> DocIds.docId(null));
  }

  @Test
  void relaxedJsonWrapRoundTrips() {
    for (BsonValue v : List.<BsonValue>of(new BsonObjectId(new ObjectId()), new BsonString("x"), new BsonInt32(3), new BsonInt64(1L << 40),
        new BsonDouble(2.5), BsonDocument.parse("{\"k\": [1, \"a\"]}"))) {
      JsonObject wrapped = BsonJson.wrap(v);
      assertEquals(v, BsonJson.unwrap(wrapped.copy()), "round trip of " + v);
      assertEquals(v, BsonJson.unwrap(new JsonObject(wrapped.encode())), "round trip through text of " + v);
    }
    assertNull(BsonJson.unwrap(null));
  }
}
