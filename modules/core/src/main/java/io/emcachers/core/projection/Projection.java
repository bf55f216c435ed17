package io.emcachers.core.projection;

import io.emcachers.core.filter.FilterExpr;
import io.emcachers.core.filter.FilterParser;
import io.emcachers.core.model.Column;
import io.emcachers.core.model.DataType;
import io.emcachers.core.model.Shape;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.bson.BsonDocument;
import org.bson.BsonType;
import org.bson.BsonValue;

/**
 * Projects a source document onto an entity's shape: {@code data = {column name: coerced value at
 * the column's path}}. Build once per shape (paths are pre-split) and reuse it for every document.
 * Pure: no I/O, no state besides the shape. {@link #matches} tells whether a document belongs to
 * the entity at all (the shape's filter).
 *
 * <p>Each column yields at most one {@link Mismatch} per document: its value did not fit its type
 * ({@link Mismatch#TYPE_MISMATCH}, null in {@code data}), an array stood where the path needed a
 * document ({@link Mismatch#ARRAY_ON_PATH}, null), or U+0000 in its strings or keys was replaced by
 * U+FFFD ({@link Mismatch#NUL_REPLACED}, the value is kept).
 */
public final class Projection {

  private final Shape shape;
  private final List<Column> columns;
  private final List<DocumentPath> paths;
  private final FilterExpr filter;
  private final BsonDocument sourceFields;

  public Projection(Shape shape) {
    this.shape = shape;
    this.filter = FilterParser.of(shape);
    this.columns = shape.columns();
    this.paths = new ArrayList<>(columns.size());
    for (Column c : columns) {
      paths.add(DocumentPath.of(c.path()));
    }
    this.sourceFields = sourceFields(columns, filter);
  }

  public Shape shape() {
    return shape;
  }

  /**
   * The MongoDB projection that reads what this projection and its filter look at, and nothing
   * else: {@code {"_id": 1, <first segment of each column path and filter path>: 1}} (whole
   * top-level fields, so arrays and sub-documents on a path arrive as they are and {@link #project}
   * and {@link #matches} give the same answers as on the full document). Null when no projection
   * can say it (a first segment that is empty or starts with {@code $}): read whole documents.
   * Scans pass it to the server, so fields outside the shape (large text, blobs) are neither sent
   * nor decoded.
   */
  public BsonDocument sourceFields() {
    return sourceFields;
  }

  private static BsonDocument sourceFields(List<Column> columns, FilterExpr filter) {
    java.util.Set<String> fields = new java.util.LinkedHashSet<>();
    fields.add("_id");
    for (Column c : columns) {
      fields.add(c.path().split("\\.", -1)[0]);
    }
    filterFields(filter, fields);
    BsonDocument out = new BsonDocument();
    for (String f : fields) {
      if (f.isEmpty() || f.startsWith("$") || f.indexOf('\u0000') >= 0) {
        return null;
      }
      out.append(f, new org.bson.BsonInt32(1));
    }
    return out;
  }

  private static void filterFields(FilterExpr e, java.util.Set<String> into) {
    if (e instanceof FilterExpr.And a) {
      a.parts().forEach(p -> filterFields(p, into));
    } else if (e instanceof FilterExpr.Or o) {
      o.parts().forEach(p -> filterFields(p, into));
    } else if (e instanceof FilterExpr.Not n) {
      filterFields(n.part(), into);
    } else if (e instanceof FilterExpr.Field f) {
      into.add(f.segments().get(0));
    }
  }

  /**
   * Whether the full source document {@code document} belongs to the entity: it matches the shape's
   * filter (always true without one). The listener's scans and streams and the verifier all ask
   * this: a document that does not match is absent from the entity (a streamed change to it is a
   * delete).
   */
  public boolean matches(BsonDocument document) {
    return filter.matches(document);
  }

  /**
   * One column of one document whose value was not replicated as it is: {@code bsonType} is the
   * BSON type found ({@code ARRAY} for an array on the path), {@code reason} one of {@link
   * #TYPE_MISMATCH}, {@link #ARRAY_ON_PATH}, {@link #NUL_REPLACED}.
   */
  public record Mismatch(
      String column, DataType type, String path, String bsonType, String reason) {

    /** The value did not fit the column's type; it became null. */
    public static final String TYPE_MISMATCH = "type_mismatch";

    /**
     * A field name of the path met an array (e.g. {@code a.b} where {@code a} is an array); the
     * value became null.
     */
    public static final String ARRAY_ON_PATH = "array_on_path";

    /**
     * U+0000 in the value's strings or keys became U+FFFD (PostgreSQL cannot store it); the value
     * was kept.
     */
    public static final String NUL_REPLACED = "nul_replaced";

    /** Every reason, in a stable order. */
    public static final List<String> REASONS = List.of(TYPE_MISMATCH, ARRAY_ON_PATH, NUL_REPLACED);

    public Mismatch {
      if (!REASONS.contains(reason)) {
        throw new IllegalArgumentException(
            "mismatch reason must be one of " + REASONS + ", got " + reason);
      }
    }

    /** A {@link #TYPE_MISMATCH}. */
    public Mismatch(String column, DataType type, String path, String bsonType) {
      this(column, type, path, bsonType, TYPE_MISMATCH);
    }

    /**
     * True when the column's value became null; false when it was kept (altered: {@link
     * #NUL_REPLACED}).
     */
    public boolean nulled() {
      return !NUL_REPLACED.equals(reason);
    }

    /** One line for logs and status events. */
    public String message() {
      return switch (reason) {
        case ARRAY_ON_PATH ->
            "path "
                + path
                + " of column "
                + column
                + " meets an array ("
                + bsonType
                + ") where it needs a document;"
                + " replicated as null";
        case NUL_REPLACED ->
            "value of column "
                + column
                + " ("
                + bsonType
                + ") held U+0000, replicated with U+FFFD in its place";
        default ->
            "value of column "
                + column
                + " ("
                + bsonType
                + ") did not fit type "
                + type
                + "; replicated as null";
      };
    }
  }

  /**
   * The projected {@code data} and its {@link Mismatch}es, at most one per column (empty when every
   * value went in as it is).
   */
  public record Projected(JsonObject data, List<Mismatch> mismatches) {
    public boolean clean() {
      return mismatches.isEmpty();
    }
  }

  public Projected project(BsonDocument document) {
    JsonObject data = new JsonObject();
    List<Mismatch> mismatches = List.of();
    for (int i = 0; i < columns.size(); i++) {
      Column column = columns.get(i);
      DocumentPath.Resolved resolved = paths.get(i).lookup(document);
      BsonValue value = resolved.value();
      Coercion.Result r = Coercion.coerce(column.type(), value);
      data.put(column.name(), r.value());
      String reason =
          resolved.arrayOnPath()
              ? Mismatch.ARRAY_ON_PATH
              : r.mismatch()
                  ? Mismatch.TYPE_MISMATCH
                  : r.nulReplaced() ? Mismatch.NUL_REPLACED : null;
      if (reason != null) {
        if (mismatches.isEmpty()) {
          mismatches = new ArrayList<>(2);
        }
        String bsonType =
            resolved.arrayOnPath() ? BsonType.ARRAY.name() : value.getBsonType().name();
        mismatches.add(new Mismatch(column.name(), column.type(), column.path(), bsonType, reason));
      }
    }
    return new Projected(data, mismatches);
  }

  /** Convenience for a single projection. */
  public static Projected project(Shape shape, BsonDocument document) {
    return new Projection(shape).project(document);
  }
}
