package io.emcachers.core.filter;

import io.emcachers.core.filter.FilterExpr.Field;
import io.emcachers.core.filter.FilterExpr.Op;
import io.emcachers.core.model.Shape;
import io.emcachers.core.validation.EntityValidator;
import io.emcachers.core.validation.FieldError;
import io.emcachers.core.validation.ValidationException;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bson.BsonArray;
import org.bson.BsonBoolean;
import org.bson.BsonDocument;
import org.bson.BsonType;
import org.bson.BsonValue;

/**
 * Parses and validates an entity filter: a MongoDB query document (Extended JSON for typed values:
 * {@code {"$oid": ...}}, {@code {"$date": ...}}, {@code {"$numberDecimal": ...}}) restricted to
 * {@link #OPERATORS}. Every error names its field path under the given prefix ({@code
 * shape.filter.$or[1].status.$regex}). Refused besides unknown operators: embedded document
 * literals ({@code {"address": {"city": "x"}}}; their field order would not survive the entity
 * store, and order matters to MongoDB's equality; use dotted paths) and regular expressions.
 */
public final class FilterParser {

  /** The supported operators. */
  public static final List<String> OPERATORS =
      List.of(
          "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$and", "$or",
          "$not");

  public static final int MAX_DEPTH = 20;
  public static final int MAX_IN = 10_000;

  private static final Set<String> FIELD_OPERATORS =
      Set.of("$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$not");

  private FilterParser() {}

  /** The filter of {@code shape} ({@link FilterExpr#ALL} when it has none). */
  public static FilterExpr of(Shape shape) {
    return shape.filter() == null ? FilterExpr.ALL : parse(shape.filter(), "shape.filter");
  }

  /** Parses {@code filter}; throws {@link ValidationException} with every error found. */
  public static FilterExpr parse(JsonObject filter, String prefix) {
    List<FieldError> errors = new ArrayList<>();
    FilterExpr expr = parse(filter, prefix, errors);
    if (!errors.isEmpty()) {
      throw new ValidationException(errors);
    }
    return expr;
  }

  /** Parses {@code filter}, adding every error to {@code errors} (null result when any). */
  public static FilterExpr parse(JsonObject filter, String prefix, List<FieldError> errors) {
    BsonDocument doc;
    try {
      doc = BsonDocument.parse(filter.encode());
    } catch (RuntimeException e) {
      errors.add(new FieldError(prefix, "is not a valid query document: " + e.getMessage()));
      return null;
    }
    int before = errors.size();
    FilterExpr expr = document(doc, prefix, 0, errors);
    return errors.size() == before ? expr : null;
  }

  private static FilterExpr document(
      BsonDocument doc, String at, int depth, List<FieldError> errors) {
    if (depth > MAX_DEPTH) {
      errors.add(new FieldError(at, "nests deeper than " + MAX_DEPTH + " levels"));
      return null;
    }
    List<FilterExpr> parts = new ArrayList<>();
    for (Map.Entry<String, BsonValue> e : doc.entrySet()) {
      String key = e.getKey();
      String f = at + "." + key;
      if (key.equals("$and") || key.equals("$or")) {
        FilterExpr logical = logical(key, e.getValue(), f, depth, errors);
        if (logical != null) {
          parts.add(logical);
        }
      } else if (key.startsWith("$")) {
        errors.add(new FieldError(f, unsupported(key, "at the top of a query document")));
      } else {
        String pathError = EntityValidator.pathError(key);
        if (pathError != null) {
          errors.add(new FieldError(f, "field path " + pathError));
          continue;
        }
        FilterExpr cond = field(key, e.getValue(), f, depth, errors);
        if (cond != null) {
          parts.add(cond);
        }
      }
    }
    return parts.size() == 1 ? parts.get(0) : new FilterExpr.And(parts);
  }

  private static FilterExpr logical(
      String op, BsonValue value, String f, int depth, List<FieldError> errors) {
    if (!value.isArray() || value.asArray().isEmpty()) {
      errors.add(new FieldError(f, "must be a non-empty array of query documents"));
      return null;
    }
    List<FilterExpr> parts = new ArrayList<>();
    BsonArray arr = value.asArray();
    for (int i = 0; i < arr.size(); i++) {
      String fi = f + "[" + i + "]";
      if (!arr.get(i).isDocument()) {
        errors.add(new FieldError(fi, "must be a query document"));
        continue;
      }
      FilterExpr part = document(arr.get(i).asDocument(), fi, depth + 1, errors);
      if (part != null) {
        parts.add(part);
      }
    }
    return op.equals("$and") ? new FilterExpr.And(parts) : new FilterExpr.Or(parts);
  }

  /** The condition on one path: a literal (equality) or an operator document. */
  private static FilterExpr field(
      String path, BsonValue value, String f, int depth, List<FieldError> errors) {
    if (value.isDocument() && isOperatorDocument(value.asDocument())) {
      return operators(path, value.asDocument(), f, depth, errors);
    }
    return literal(value, f, errors) ? new Field(path, Op.EQ, value) : null;
  }

  private static boolean isOperatorDocument(BsonDocument d) {
    return !d.isEmpty() && d.getFirstKey().startsWith("$");
  }

  private static FilterExpr operators(
      String path, BsonDocument ops, String f, int depth, List<FieldError> errors) {
    if (depth > MAX_DEPTH) {
      errors.add(new FieldError(f, "nests deeper than " + MAX_DEPTH + " levels"));
      return null;
    }
    List<FilterExpr> parts = new ArrayList<>();
    for (Map.Entry<String, BsonValue> e : ops.entrySet()) {
      String op = e.getKey();
      String fo = f + "." + op;
      BsonValue v = e.getValue();
      if (!op.startsWith("$")) {
        errors.add(
            new FieldError(
                fo,
                "an operator document holds only operators; '"
                    + op
                    + "' is a field (an embedded document literal is not supported)"));
        continue;
      }
      if (!FIELD_OPERATORS.contains(op)) {
        errors.add(new FieldError(fo, unsupported(op, "on a field")));
        continue;
      }
      FilterExpr part =
          switch (op) {
            case "$eq" -> literal(v, fo, errors) ? new Field(path, Op.EQ, v) : null;
            case "$ne" ->
                literal(v, fo, errors) ? new FilterExpr.Not(new Field(path, Op.EQ, v)) : null;
            case "$gt" -> literal(v, fo, errors) ? new Field(path, Op.GT, v) : null;
            case "$gte" -> literal(v, fo, errors) ? new Field(path, Op.GTE, v) : null;
            case "$lt" -> literal(v, fo, errors) ? new Field(path, Op.LT, v) : null;
            case "$lte" -> literal(v, fo, errors) ? new Field(path, Op.LTE, v) : null;
            case "$in" -> in(path, v, fo, errors);
            case "$nin" -> {
              FilterExpr in = in(path, v, fo, errors);
              yield in == null ? null : new FilterExpr.Not(in);
            }
            case "$exists" -> exists(path, v, fo, errors);
            default -> { // $not
              if (!v.isDocument() || !isOperatorDocument(v.asDocument())) {
                errors.add(
                    new FieldError(
                        fo, "must be an operator document, e.g. {\"$not\": {\"$gt\": 5}}"));
                yield null;
              }
              FilterExpr inner = operators(path, v.asDocument(), fo, depth + 1, errors);
              yield inner == null ? null : new FilterExpr.Not(inner);
            }
          };
      if (part != null) {
        parts.add(part);
      }
    }
    return parts.size() == 1 ? parts.get(0) : new FilterExpr.And(parts);
  }

  private static FilterExpr in(String path, BsonValue v, String f, List<FieldError> errors) {
    if (!v.isArray()) {
      errors.add(new FieldError(f, "must be an array of values"));
      return null;
    }
    if (v.asArray().size() > MAX_IN) {
      errors.add(new FieldError(f, "must hold at most " + MAX_IN + " values"));
      return null;
    }
    boolean ok = true;
    for (int i = 0; i < v.asArray().size(); i++) {
      ok &= literal(v.asArray().get(i), f + "[" + i + "]", errors);
    }
    return ok ? new Field(path, Op.IN, v) : null;
  }

  private static FilterExpr exists(String path, BsonValue v, String f, List<FieldError> errors) {
    boolean flag;
    if (v.isBoolean()) {
      flag = v.asBoolean().getValue();
    } else if (v.isNumber()) {
      flag = v.asNumber().doubleValue() != 0;
    } else {
      errors.add(new FieldError(f, "must be true or false"));
      return null;
    }
    return new Field(path, Op.EXISTS, BsonBoolean.valueOf(flag));
  }

  /** Whether {@code v} may stand as a value to compare with; adds the error when not. */
  private static boolean literal(BsonValue v, String f, List<FieldError> errors) {
    if (v.isDocument()) {
      BsonDocument d = v.asDocument();
      errors.add(
          new FieldError(
              f,
              isOperatorDocument(d)
                  ? "operator " + d.getFirstKey() + " is not allowed here"
                  : "embedded document literals are not supported (their field order would not"
                      + " survive storage); compare their fields with dotted paths"));
      return false;
    }
    if (v.getBsonType() == BsonType.REGULAR_EXPRESSION) {
      errors.add(new FieldError(f, "regular expressions are not supported"));
      return false;
    }
    if (v.isArray()) {
      boolean ok = true;
      for (int i = 0; i < v.asArray().size(); i++) {
        ok &= literal(v.asArray().get(i), f + "[" + i + "]", errors);
      }
      return ok;
    }
    return true;
  }

  private static String unsupported(String op, String where) {
    return "unsupported operator "
        + op
        + " "
        + where
        + " (supported: "
        + String.join(" ", OPERATORS)
        + ")";
  }
}
