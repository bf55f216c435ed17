package io.emcachers.core.projection;

import java.util.List;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonValue;

/**
 * A column's dotted field path ({@code address.city}, {@code tags.0}). Each segment selects a field
 * of a document; on an array, a segment of decimal digits selects that element (0-based). Anything
 * else (a missing field, a field of a scalar, a name on an array, an index out of range) resolves to
 * {@link #MISSING}, which the projection turns into null without counting an error.
 */
public final class DocumentPath {

  /** Sentinel for "no value at this path" (distinct from an explicit BSON null). */
  public static final BsonValue MISSING = null;

  private final String path;
  private final List<String> segments;

  private DocumentPath(String path) {
    this.path = path;
    this.segments = List.of(path.split("\\.", -1));
  }

  public static DocumentPath of(String path) {
    if (path == null || path.isEmpty()) {
      throw new IllegalArgumentException("path must be a non-empty dotted field path");
    }
    return new DocumentPath(path);
  }

  public String path() {
    return path;
  }

  /** The value at this path in {@code document}, or {@link #MISSING} (null). */
  public BsonValue resolve(BsonDocument document) {
    BsonValue current = document;
    for (String segment : segments) {
      if (current == null) {
        return MISSING;
      }
      if (current.isDocument()) {
        current = current.asDocument().get(segment);
      } else if (current.isArray()) {
        int index = indexOf(segment);
        BsonArray array = current.asArray();
        current = index >= 0 && index < array.size() ? array.get(index) : null;
      } else {
        return MISSING;
      }
    }
    return current;
  }

  private static int indexOf(String segment) {
    if (segment.isEmpty() || segment.length() > 9) {
      return -1;
    }
    for (int i = 0; i < segment.length(); i++) {
      if (!Character.isDigit(segment.charAt(i))) {
        return -1;
      }
    }
    return Integer.parseInt(segment);
  }
}
