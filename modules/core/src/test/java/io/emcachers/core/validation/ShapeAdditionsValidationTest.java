package io.emcachers.core.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.model.IndexDef;
import io.emcachers.core.model.Shape;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The shape additions of issue 14 ({@code indexes}, {@code search}), validated field by field. */
class ShapeAdditionsValidationTest {

  static JsonObject body() {
    return new JsonObject(
        """
        {"name":"users","shape":{"entity_name":"User","source_name":"users","columns":[
          {"name":"id","type":"Text","path":"_id"},{"name":"email","type":"Text","path":"email"},
          {"name":"city","type":"Text","path":"address.city"},{"name":"age","type":"Integer","path":"age"}]}}""");
  }

  static JsonObject withIndexes(String indexesJson) {
    JsonObject b = body();
    b.getJsonObject("shape").put("indexes", new JsonArray(indexesJson));
    return b;
  }

  static Map<String, String> errors(JsonObject body) {
    return assertThrows(ValidationException.class, () -> EntityValidator.validate(body))
        .errors()
        .stream()
        .collect(
            Collectors.toMap(FieldError::field, FieldError::message, (a, b) -> a, TreeMap::new));
  }

  @Test
  void indexesAreAcceptedAndCanonical() {
    Shape shape =
        EntityValidator.validate(
                withIndexes(
                    "[{\"columns\":[\"email\"],\"unique\":false},{\"columns\":[\"city\",\"age\"]}]"))
            .shape();
    assertEquals(
        List.of(new IndexDef(List.of("email"), false), new IndexDef(List.of("city", "age"), false)),
        shape.indexes());
    // unique is always written, so both spellings hash alike
    assertEquals(
        shape.hash(),
        EntityValidator.validate(
                withIndexes(
                    "[{\"columns\":[\"email\"]},{\"columns\":[\"city\",\"age\"],\"unique\":false}]"))
            .shape()
            .hash());
    assertEquals(shape, Shape.fromJson(shape.toJson()));
  }

  @Test
  void indexesArePartOfTheHashAndAShapeWithoutThemKeepsItsOldHash() {
    Shape plain = EntityValidator.validate(body()).shape();
    assertFalse(plain.toJson().containsKey("indexes"), "nothing new is written for old shapes");
    assertFalse(plain.toJson().containsKey("filter"));
    Shape indexed = EntityValidator.validate(withIndexes("[{\"columns\":[\"email\"]}]")).shape();
    Shape unique =
        EntityValidator.validate(withIndexes("[{\"columns\":[\"email\"],\"unique\":true}]"))
            .shape();
    assertNotEquals(plain.hash(), indexed.hash());
    assertNotEquals(indexed.hash(), unique.hash());
  }

  @Test
  void badIndexesGetFieldPaths() {
    Map<String, String> e =
        errors(
            withIndexes(
                """
                [{"columns":["email"]},
                 {"columns":["email","nope"]},
                 {"columns":[]},
                 {"columns":["city","city"]},
                 {"columns":["email"],"unique":"yes"},
                 "x",
                 {"columns":["age"],"sort":"asc"},
                 {"columns":["email"]},
                 {"columns":[7]}]"""));
    assertTrue(
        e.get("shape.indexes[1].columns[1]").contains("unknown column 'nope'"), e.toString());
    assertTrue(e.get("shape.indexes[2].columns").contains("1 to"), e.toString());
    assertTrue(e.get("shape.indexes[3].columns[1]").contains("duplicate column 'city'"));
    assertTrue(e.get("shape.indexes[4].unique").contains("boolean"));
    assertTrue(e.get("shape.indexes[5]").contains("object"));
    assertTrue(e.get("shape.indexes[6].sort").contains("unknown field"));
    assertTrue(e.get("shape.indexes[7]").contains("duplicates shape.indexes[0]"));
    assertTrue(e.get("shape.indexes[8].columns[0]").contains("column name"));
    assertEquals(8, e.size(), e.toString());
  }

  @Test
  void indexesMustBeAnArray() {
    JsonObject b = body();
    b.getJsonObject("shape").put("indexes", new JsonObject());
    assertTrue(errors(b).containsKey("shape.indexes"));
  }

  @Test
  void searchIsABooleanOnTextColumns() {
    JsonObject b = body();
    JsonArray cols = b.getJsonObject("shape").getJsonArray("columns");
    cols.getJsonObject(1).put("search", true);
    Shape shape = EntityValidator.validate(b).shape();
    assertEquals(List.of("email"), shape.searchColumns().stream().map(c -> c.name()).toList());
    assertEquals(
        true, shape.toJson().getJsonArray("columns").getJsonObject(1).getBoolean("search"));
    assertFalse(shape.toJson().getJsonArray("columns").getJsonObject(0).containsKey("search"));
    assertNotEquals(EntityValidator.validate(body()).shape().hash(), shape.hash());

    cols.getJsonObject(3).put("search", true);
    cols.getJsonObject(2).put("search", "yes");
    Map<String, String> e = errors(b);
    assertTrue(e.get("shape.columns[3].search").contains("only Text columns"), e.toString());
    assertTrue(e.get("shape.columns[2].search").contains("boolean"), e.toString());
  }
}
