package io.emcachers.core.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.model.DataType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EntityValidatorTest {

  static final String DESIGN_NOTES_BODY =
      """
      {"name":"users","shape":{"entity_name":"User","source_name":"users","columns":[
        {"name":"id","type":"Text","path":"_id"},{"name":"email","type":"Text","path":"email"}]}}""";

  @Test
  void acceptsTheDesignNotesFormat() {
    EntityValidator.Definition def = EntityValidator.validate(new JsonObject(DESIGN_NOTES_BODY));
    assertEquals("users", def.name());
    assertEquals("users", def.shape().sourceName());
    assertEquals(2, def.shape().columns().size());
    assertEquals(new JsonObject(DESIGN_NOTES_BODY).getJsonObject("shape"), def.shape().toJson());
  }

  @Test
  void typesAreCaseInsensitiveOnInputAndCanonicalOnOutput() {
    JsonObject body = new JsonObject(DESIGN_NOTES_BODY);
    body.getJsonObject("shape").getJsonArray("columns").getJsonObject(0).put("type", "jsonb");
    body.getJsonObject("shape").getJsonArray("columns").getJsonObject(1).put("type", "iNtEgEr");
    EntityValidator.Definition def = EntityValidator.validate(body);
    assertEquals(DataType.JSONB, def.shape().columns().get(0).type());
    assertEquals(
        "Integer", def.shape().toJson().getJsonArray("columns").getJsonObject(1).getString("type"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "../x",
        "a/b",
        "x;drop",
        "Users",
        "1abc",
        "",
        "_x",
        "a-b",
        "a b",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      })
  void rejectsNamesThatAreNotSafeDirectoryAndTableNames(String name) {
    JsonObject body = new JsonObject(DESIGN_NOTES_BODY).put("name", name);
    ValidationException e =
        assertThrows(ValidationException.class, () -> EntityValidator.validate(body));
    assertEquals("name", e.errors().get(0).field());
    assertFalse(EntityValidator.isValidName(name));
  }

  @Test
  void reportsEveryFieldErrorWithItsPath() {
    JsonObject body =
        new JsonObject()
            .put("name", "ok_name")
            .put(
                "shape",
                new JsonObject()
                    .put("entity_name", "")
                    .put("source_name", "system.profile")
                    .put(
                        "columns",
                        new JsonArray()
                            .add(
                                new JsonObject()
                                    .put("name", "id")
                                    .put("type", "Text")
                                    .put("path", "_id"))
                            .add(
                                new JsonObject()
                                    .put("name", "id")
                                    .put("type", "Text")
                                    .put("path", "a..b"))
                            .add(
                                new JsonObject()
                                    .put("name", "_hidden")
                                    .put("type", "Float")
                                    .put("path", "$where"))
                            .add("not an object")));
    ValidationException e =
        assertThrows(ValidationException.class, () -> EntityValidator.validate(body));
    List<String> fields = e.errors().stream().map(FieldError::field).toList();
    assertEquals(
        List.of(
            "shape.entity_name",
            "shape.source_name",
            "shape.columns[1].name",
            "shape.columns[1].path",
            "shape.columns[2].name",
            "shape.columns[2].type",
            "shape.columns[2].path",
            "shape.columns[3]"),
        fields);
    assertTrue(e.getMessage().contains("duplicate column name 'id'"), e.getMessage());
  }

  @Test
  void rejectsMissingShapeAndColumnCountOutOfRange() {
    assertEquals(
        "shape",
        assertThrows(
                ValidationException.class,
                () -> EntityValidator.validate(new JsonObject().put("name", "a")))
            .errors()
            .get(0)
            .field());
    JsonObject empty = new JsonObject(DESIGN_NOTES_BODY);
    empty.getJsonObject("shape").put("columns", new JsonArray());
    assertEquals(
        "shape.columns",
        assertThrows(ValidationException.class, () -> EntityValidator.validate(empty))
            .errors()
            .get(0)
            .field());
    JsonObject tooMany = new JsonObject(DESIGN_NOTES_BODY);
    JsonArray cols = new JsonArray();
    for (int i = 0; i <= EntityValidator.MAX_COLUMNS; i++) {
      cols.add(new JsonObject().put("name", "c" + i).put("type", "Any").put("path", "f" + i));
    }
    tooMany.getJsonObject("shape").put("columns", cols);
    assertTrue(
        assertThrows(ValidationException.class, () -> EntityValidator.validate(tooMany))
            .getMessage()
            .contains("1 to 500"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "a.", ".a", "a..b", "$x", "a.$b"})
  void rejectsBadPaths(String path) {
    assertTrue(EntityValidator.pathError(path) != null);
  }

  @ParameterizedTest
  @ValueSource(strings = {"_id", "a.b.c", "profile.age", "tags"})
  void acceptsDottedPaths(String path) {
    assertEquals(null, EntityValidator.pathError(path));
  }

  @Test
  void rejectsNulInCollectionName() {
    JsonObject body = new JsonObject(DESIGN_NOTES_BODY);
    body.getJsonObject("shape").put("source_name", "us\0ers");
    assertEquals(
        "shape.source_name",
        assertThrows(ValidationException.class, () -> EntityValidator.validate(body))
            .errors()
            .get(0)
            .field());
  }
}
