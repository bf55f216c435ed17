package io.emcachers.core.validation;

import io.emcachers.core.filter.FilterParser;
import io.emcachers.core.model.Column;
import io.emcachers.core.model.DataType;
import io.emcachers.core.model.IndexDef;
import io.emcachers.core.model.Shape;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Validates entity definitions in the design notes' format ({@code {"name":...,
 * "shape":{"entity_name":..., "source_name":..., "columns":[...]}}}) and collects every field-level
 * error. Entity names become directory and table names, so the name rule is the first line of
 * defence against path traversal and SQL injection.
 */
public final class EntityValidator {

  public static final Pattern NAME = Pattern.compile("^[a-z][a-z0-9_]{0,62}$");
  public static final int MAX_COLUMNS = 500;
  public static final int MAX_PATH_LENGTH = 1024;
  public static final int MAX_COLLECTION_NAME_LENGTH = 255;
  public static final int MAX_INDEXES = 32;
  public static final int MAX_INDEX_COLUMNS = 16;
  private static final Set<String> INDEX_FIELDS = Set.of("columns", "unique");

  private EntityValidator() {}

  /** A validated definition: the entity name and its shape. */
  public record Definition(String name, Shape shape) {
    public JsonObject toJson() {
      return new JsonObject().put("name", name).put("shape", shape.toJson());
    }
  }

  /** Throws {@link ValidationException} unless {@code name} is a valid entity name. */
  public static String requireName(String field, Object name) {
    List<FieldError> errors = new ArrayList<>();
    checkName(field, name, errors);
    if (!errors.isEmpty()) {
      throw new ValidationException(errors);
    }
    return (String) name;
  }

  public static boolean isValidName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /** Validates and canonicalises (type spelling) a definition; throws with all errors found. */
  public static Definition validate(JsonObject body) {
    List<FieldError> errors = new ArrayList<>();
    if (body == null) {
      throw new ValidationException("", "body must be a JSON object");
    }
    Object name = body.getValue("name");
    checkName("name", name, errors);
    Object shapeValue = body.getValue("shape");
    Shape shape = null;
    if (!(shapeValue instanceof JsonObject shapeJson)) {
      errors.add(new FieldError("shape", "is required and must be an object"));
    } else {
      shape = validateShape(shapeJson, errors);
    }
    if (!errors.isEmpty()) {
      throw new ValidationException(errors);
    }
    return new Definition((String) name, shape);
  }

  private static void checkName(String field, Object name, List<FieldError> errors) {
    if (!(name instanceof String s)) {
      errors.add(new FieldError(field, "is required and must be a string"));
    } else if (!NAME.matcher(s).matches()) {
      errors.add(
          new FieldError(
              field,
              "must match "
                  + NAME.pattern()
                  + " (lowercase letter first, then lowercase letters, digits or '_', at most 63 chars)"));
    }
  }

  private static Shape validateShape(JsonObject json, List<FieldError> errors) {
    Object entityName = json.getValue("entity_name");
    if (!(entityName instanceof String en) || en.isBlank()) {
      errors.add(new FieldError("shape.entity_name", "is required and must be a non-empty string"));
    } else if (en.length() > 255) {
      errors.add(new FieldError("shape.entity_name", "must be at most 255 characters"));
    }
    Object source = json.getValue("source_name");
    checkCollectionName(source, errors);
    Object colsValue = json.getValue("columns");
    List<Column> columns = new ArrayList<>();
    if (!(colsValue instanceof JsonArray cols)) {
      errors.add(new FieldError("shape.columns", "is required and must be an array"));
    } else if (cols.isEmpty() || cols.size() > MAX_COLUMNS) {
      errors.add(
          new FieldError(
              "shape.columns", "must hold 1 to " + MAX_COLUMNS + " columns, got " + cols.size()));
    } else {
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < cols.size(); i++) {
        Column c = validateColumn("shape.columns[" + i + "]", cols.getValue(i), seen, errors);
        if (c != null) {
          columns.add(c);
        }
      }
    }
    List<IndexDef> indexes = validateIndexes(json.getValue("indexes"), colsValue, errors);
    Object filter = json.getValue("filter");
    if (filter != null && !(filter instanceof JsonObject)) {
      errors.add(new FieldError("shape.filter", "must be a MongoDB query document (an object)"));
    } else if (filter != null) {
      FilterParser.parse((JsonObject) filter, "shape.filter", errors);
    }
    if (!errors.isEmpty()) {
      return null;
    }
    return new Shape((String) entityName, (String) source, columns, indexes, (JsonObject) filter);
  }

  /**
   * {@code shape.indexes}: optional array of {@code {"columns": [declared column names], "unique":
   * bool}}; no column twice in one index, no index twice.
   */
  private static List<IndexDef> validateIndexes(
      Object value, Object colsValue, List<FieldError> errors) {
    List<IndexDef> out = new ArrayList<>();
    if (value == null) {
      return out;
    }
    String f = "shape.indexes";
    if (!(value instanceof JsonArray arr)) {
      errors.add(new FieldError(f, "must be an array of {\"columns\": [...], \"unique\": bool}"));
      return out;
    }
    if (arr.size() > MAX_INDEXES) {
      errors.add(
          new FieldError(f, "must hold at most " + MAX_INDEXES + " indexes, got " + arr.size()));
      return out;
    }
    Set<String> declared = new HashSet<>();
    if (colsValue instanceof JsonArray cols) {
      cols.forEach(
          c -> {
            if (c instanceof JsonObject o && o.getValue("name") instanceof String n) {
              declared.add(n);
            }
          });
    }
    Map<List<String>, Integer> seen = new HashMap<>();
    for (int i = 0; i < arr.size(); i++) {
      String fi = f + "[" + i + "]";
      if (!(arr.getValue(i) instanceof JsonObject ix)) {
        errors.add(new FieldError(fi, "must be an object with columns and optional unique"));
        continue;
      }
      int before = errors.size();
      for (String key : ix.fieldNames()) {
        if (!INDEX_FIELDS.contains(key)) {
          errors.add(new FieldError(fi + "." + key, "unknown field (allowed: columns, unique)"));
        }
      }
      Object unique = ix.getValue("unique");
      if (unique != null && !(unique instanceof Boolean)) {
        errors.add(new FieldError(fi + ".unique", "must be a boolean"));
      }
      List<String> columns = new ArrayList<>();
      Object colsOfIndex = ix.getValue("columns");
      if (!(colsOfIndex instanceof JsonArray ca) || ca.isEmpty() || ca.size() > MAX_INDEX_COLUMNS) {
        errors.add(
            new FieldError(
                fi + ".columns",
                "is required and must be an array of 1 to " + MAX_INDEX_COLUMNS + " column names"));
      } else {
        for (int j = 0; j < ca.size(); j++) {
          String fj = fi + ".columns[" + j + "]";
          Object c = ca.getValue(j);
          if (!(c instanceof String name)) {
            errors.add(new FieldError(fj, "must be a column name (string)"));
          } else if (!declared.contains(name)) {
            errors.add(
                new FieldError(fj, "unknown column '" + name + "': not a column of the shape"));
          } else if (columns.contains(name)) {
            errors.add(new FieldError(fj, "duplicate column '" + name + "' in one index"));
          } else {
            columns.add(name);
          }
        }
      }
      if (errors.size() != before) {
        continue;
      }
      Integer dup = seen.putIfAbsent(columns, i);
      if (dup != null) {
        errors.add(new FieldError(fi, "duplicates shape.indexes[" + dup + "] (same columns)"));
        continue;
      }
      out.add(new IndexDef(columns, Boolean.TRUE.equals(unique)));
    }
    return out;
  }

  private static void checkCollectionName(Object source, List<FieldError> errors) {
    String f = "shape.source_name";
    if (!(source instanceof String s) || s.isEmpty()) {
      errors.add(new FieldError(f, "is required and must be a non-empty string"));
    } else if (s.length() > MAX_COLLECTION_NAME_LENGTH) {
      errors.add(
          new FieldError(f, "must be at most " + MAX_COLLECTION_NAME_LENGTH + " characters"));
    } else if (s.indexOf('$') >= 0 || s.indexOf('\0') >= 0) {
      errors.add(
          new FieldError(
              f, "is not a valid MongoDB collection name: it must not contain '$' or NUL"));
    } else if (s.startsWith("system.")) {
      errors.add(
          new FieldError(
              f, "is not a valid MongoDB collection name: the 'system.' prefix is reserved"));
    } else if (s.startsWith(".") || s.endsWith(".") || !s.strip().equals(s)) {
      errors.add(
          new FieldError(
              f, "is not a valid MongoDB collection name: no leading/trailing '.' or whitespace"));
    }
  }

  private static Column validateColumn(
      String f, Object value, Set<String> seen, List<FieldError> errors) {
    if (!(value instanceof JsonObject col)) {
      errors.add(new FieldError(f, "must be an object with name, type and path"));
      return null;
    }
    int before = errors.size();
    Object name = col.getValue("name");
    if (!(name instanceof String n)) {
      errors.add(new FieldError(f + ".name", "is required and must be a string"));
    } else if (n.startsWith("_")) {
      errors.add(new FieldError(f + ".name", "names starting with '_' are reserved"));
    } else if (!NAME.matcher(n).matches()) {
      errors.add(new FieldError(f + ".name", "must match " + NAME.pattern()));
    } else if (!seen.add(n)) {
      errors.add(new FieldError(f + ".name", "duplicate column name '" + n + "'"));
    }
    Object type = col.getValue("type");
    DataType dt = type instanceof String ts ? DataType.parseOrNull(ts) : null;
    if (dt == null) {
      errors.add(
          new FieldError(
              f + ".type",
              "must be one of " + DataType.allowed() + " (case-insensitive), got " + type));
    }
    Object path = col.getValue("path");
    String pathError = pathError(path);
    if (pathError != null) {
      errors.add(new FieldError(f + ".path", pathError));
    }
    Object search = col.getValue("search");
    if (search != null && !(search instanceof Boolean)) {
      errors.add(new FieldError(f + ".search", "must be a boolean"));
    } else if (Boolean.TRUE.equals(search) && dt != null && dt != DataType.Text) {
      errors.add(
          new FieldError(f + ".search", "only Text columns can be searched, this one is " + dt));
    } else if (Boolean.TRUE.equals(search) && ("rank".equals(name) || "rowid".equals(name))) {
      errors.add(
          new FieldError(
              f + ".search", "a column named " + name + " cannot be searched (FTS5 reserves it)"));
    }
    return errors.size() == before
        ? new Column((String) name, dt, (String) path, Boolean.TRUE.equals(search))
        : null;
  }

  /** Returns why {@code path} is not a dotted field path, or null when it is one. */
  public static String pathError(Object path) {
    if (!(path instanceof String p) || p.isEmpty()) {
      return "is required and must be a non-empty dotted field path";
    }
    if (p.length() > MAX_PATH_LENGTH) {
      return "must be at most " + MAX_PATH_LENGTH + " characters";
    }
    if (p.indexOf('$') >= 0 || p.indexOf('\0') >= 0) {
      return "must not contain '$' or NUL";
    }
    for (String seg : p.split("\\.", -1)) {
      if (seg.isEmpty()) {
        return "must be a dotted field path with non-empty segments, got '" + p + "'";
      }
    }
    return null;
  }
}
