package io.emcachers.core.projection;

import io.emcachers.core.model.Column;
import io.emcachers.core.model.DataType;
import io.emcachers.core.model.Shape;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.bson.BsonDocument;
import org.bson.BsonValue;

/**
 * Projects a source document onto an entity's shape: {@code data = {column name: coerced value at the
 * column's path}}. Build once per shape (paths are pre-split) and reuse it for every document.
 * Pure: no I/O, no state besides the shape.
 */
public final class Projection {

  private final Shape shape;
  private final List<Column> columns;
  private final List<DocumentPath> paths;

  public Projection(Shape shape) {
    this.shape = shape;
    this.columns = shape.columns();
    this.paths = new ArrayList<>(columns.size());
    for (Column c : columns) {
      paths.add(DocumentPath.of(c.path()));
    }
  }

  public Shape shape() {
    return shape;
  }

  /** One column whose value did not fit its type (it became null). */
  public record Mismatch(String column, DataType type, String path, String bsonType) {}

  /** The projected {@code data} and the columns whose value did not fit (empty when all fit). */
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
      BsonValue value = paths.get(i).resolve(document);
      Coercion.Result r = Coercion.coerce(column.type(), value);
      data.put(column.name(), r.value());
      if (r.mismatch()) {
        if (mismatches.isEmpty()) {
          mismatches = new ArrayList<>(2);
        }
        mismatches.add(new Mismatch(column.name(), column.type(), column.path(), value.getBsonType().name()));
      }
    }
    return new Projected(data, mismatches);
  }

  /** Convenience for a single projection. */
  public static Projected project(Shape shape, BsonDocument document) {
    return new Projection(shape).project(document);
  }
}
