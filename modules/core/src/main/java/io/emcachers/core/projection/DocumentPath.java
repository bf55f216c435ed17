package io.emcachers.core.projection;

import java.util.List;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonValue;

/**
 * A column's dotted field path ({@code address.city}, {@code tags.0}). Each segment selects a field
 * of a document; on an array, a segment of decimal digits selects that element (0-based). A missing
 * field, a field of a scalar or an index out of range resolves to {@link #MISSING}, which the
 * projection turns into null without counting an error. A field name applied to an array ({@code
 * address.city} where {@code address} is an array of documents) also resolves to no value, but
 * {@link #lookup} tells it apart ({@link Resolved#arrayOnPath()}): the projection counts it as a
 * mismatch ({@link Projection.Mismatch#ARRAY_ON_PATH}). An array that is the value at the end of
 * the path is an ordinary value.
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

  /**
   * The outcome of a {@link #lookup}: the value at the path ({@link #MISSING}, i.e. null, when
   * there is none), and, when the path met an array where it needed a document (a non-digit segment
   * applied to an array), the dotted prefix that holds that array ({@code arrayAt}, null
   * otherwise).
   */
  public record Resolved(BsonValue value, String arrayAt) {
    private static final Resolved NONE = new Resolved(MISSING, null);

    /** True when a field name of the path was applied to an array (the value is then missing). */
    public boolean arrayOnPath() {
      return arrayAt != null;
    }
  }

  /**
   * The value at this path in {@code document}, or {@link #MISSING} (null); see {@link #lookup}.
   */
  public BsonValue resolve(BsonDocument document) {
    return lookup(document).value();
  }

  /**
   * The value at this path in {@code document}, telling a missing value from an array on the path.
   */
  public Resolved lookup(BsonDocument document) {
    BsonValue current = document;
    for (int i = 0; i < segments.size(); i++) {
      if (current == null) {
        return Resolved.NONE;
      }
      String segment = segments.get(i);
      if (current.isDocument()) {
        current = current.asDocument().get(segment);
      } else if (current.isArray()) {
        if (!isIndex(segment)) {
          return new Resolved(MISSING, String.join(".", segments.subList(0, i)));
        }
        BsonArray array = current.asArray();
        int index = segment.length() > 9 ? Integer.MAX_VALUE : Integer.parseInt(segment);
        current = index < array.size() ? array.get(index) : null;
      } else {
        return Resolved.NONE;
      }
    }
    return current == null ? Resolved.NONE : new Resolved(current, null);
  }

  /**
   * A segment of ASCII decimal digits: an array index (one beyond int range is simply out of
   * range).
   */
  private static boolean isIndex(String segment) {
    if (segment.isEmpty()) {
      return false;
    }
    for (int i = 0; i < segment.length(); i++) {
      char c = segment.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }
}
