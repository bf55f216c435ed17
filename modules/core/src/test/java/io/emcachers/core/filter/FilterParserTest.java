package io.emcachers.core.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.model.Shape;
import io.emcachers.core.validation.EntityValidator;
import io.emcachers.core.validation.FieldError;
import io.emcachers.core.validation.ValidationException;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class FilterParserTest {

  static JsonObject body(String filter) {
    JsonObject b =
        new JsonObject(
            """
            {"name":"tickets","shape":{"entity_name":"T","source_name":"tickets","columns":[
              {"name":"id","type":"Text","path":"_id"},{"name":"status","type":"Text","path":"status"}]}}""");
    b.getJsonObject("shape").put("filter", new JsonObject(filter));
    return b;
  }

  static Map<String, String> errors(String filter) {
    return assertThrows(ValidationException.class, () -> EntityValidator.validate(body(filter)))
        .errors()
        .stream()
        .collect(
            Collectors.toMap(FieldError::field, FieldError::message, (a, b) -> a, TreeMap::new));
  }

  @Test
  void unsupportedOperatorsAndShapesGetTheirPath() {
    Map<String, String> e =
        errors(
            """
            {"status": {"$regex": "^o"},
             "$or": [{"a": 1}, {"b": {"$elemMatch": {"x": 1}}}, 5],
             "$where": "true",
             "c": {"$in": 3},
             "d": {"$not": 5},
             "e": {"x": 1},
             "f": {"$gt": 1, "y": 2},
             "g": {"$exists": "yes"},
             "h": {"$eq": {"$gt": 1}},
             "$and": [],
             "i..j": 1,
             "k": {"$nin": [1, {"z": 1}]}}""");
    assertTrue(
        e.get("shape.filter.status.$regex").contains("unsupported operator $regex"), e.toString());
    assertTrue(e.get("shape.filter.status.$regex").contains("$eq $ne $gt"));
    assertTrue(e.get("shape.filter.$or[1].b.$elemMatch").contains("unsupported operator"));
    assertTrue(e.get("shape.filter.$or[2]").contains("query document"));
    assertTrue(e.get("shape.filter.$where").contains("unsupported operator $where"));
    assertTrue(e.get("shape.filter.c.$in").contains("array"));
    assertTrue(e.get("shape.filter.d.$not").contains("operator document"));
    assertTrue(e.get("shape.filter.e").contains("embedded document literals"));
    assertTrue(e.get("shape.filter.f.y").contains("holds only operators"));
    assertTrue(e.get("shape.filter.g.$exists").contains("true or false"));
    assertTrue(e.get("shape.filter.h.$eq").contains("not allowed here"));
    assertTrue(e.get("shape.filter.$and").contains("non-empty array"));
    assertTrue(e.get("shape.filter.i..j").contains("field path"));
    assertTrue(e.get("shape.filter.k.$nin[1]").contains("embedded document literals"));
    assertEquals(13, e.size(), e.toString());
  }

  @Test
  void aFilterMustBeAnObject() {
    JsonObject b = body("{}");
    b.getJsonObject("shape").put("filter", "status = 'open'");
    ValidationException e =
        assertThrows(ValidationException.class, () -> EntityValidator.validate(b));
    assertEquals("shape.filter", e.errors().get(0).field());
  }

  @Test
  void theFilterIsPartOfTheHashAndSurvivesAKeyReorderingStore() {
    Shape open =
        EntityValidator.validate(body("{\"status\": \"open\", \"age\": {\"$lt\": 5, \"$gt\": 1}}"))
            .shape();
    Shape closed = EntityValidator.validate(body("{\"status\": \"closed\"}")).shape();
    Shape none = EntityValidator.validate(body("{}")).shape();
    assertNotEquals(open.hash(), closed.hash());
    assertNotEquals(open.hash(), none.hash());
    // PostgreSQL's jsonb hands the keys back in its own order: same shape, same hash
    JsonObject reordered = new JsonObject(open.toJson().encode());
    JsonObject f = reordered.getJsonObject("filter");
    JsonObject shuffled = new JsonObject().put("status", f.getValue("status"));
    shuffled.put("age", new JsonObject().put("$lt", 5).put("$gt", 1));
    reordered.put("filter", shuffled);
    Shape back = Shape.fromJson(reordered);
    assertEquals(open.hash(), back.hash());
    assertEquals(open.toJson(), back.toJson());
    assertEquals(open, back);
  }

  @Test
  void typedValuesComeAsExtendedJson() {
    Shape s =
        EntityValidator.validate(
                body(
                    "{\"owner\": {\"$oid\": \"65a1b2c3d4e5f60718293a4b\"}, \"due\": {\"$lt\": {\"$date\": \"2025-01-01T00:00:00Z\"}}}"))
            .shape();
    FilterExpr f = FilterParser.of(s);
    assertTrue(
        f.matches(
            org.bson.BsonDocument.parse(
                "{\"owner\": {\"$oid\": \"65a1b2c3d4e5f60718293a4b\"}, \"due\": {\"$date\": \"2024-06-01T00:00:00Z\"}}")));
  }
}
