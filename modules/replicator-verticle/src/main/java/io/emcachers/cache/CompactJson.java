package io.emcachers.cache;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * The JSON text Vert.x's Jackson codec writes for a value ({@code Json.encode}: no whitespace, keys
 * in the map's order, {@code Double.toString} for doubles), built with one {@link StringBuilder}
 * instead of a Jackson generator per value: a JSONB column is encoded for every row the caches
 * write and every row a verification compares, and the generator's set-up cost more than the
 * writing. It covers the values projections produce — objects, arrays, strings without characters
 * JSON escapes, integers, finite doubles, booleans and null — and answers null for anything else,
 * which the caller then encodes with Jackson. {@code CompactJsonTest} holds it to Jackson's text.
 */
final class CompactJson {

  /** Deeper values go to Jackson (this writer recurses). */
  private static final int MAX_DEPTH = 64;

  private CompactJson() {}

  /** Jackson's text for {@code value}, or null when this writer does not vouch for it. */
  static String write(Object value) {
    StringBuilder sb = new StringBuilder(64);
    return append(sb, value, 0) ? sb.toString() : null;
  }

  private static boolean append(StringBuilder sb, Object v, int depth) {
    if (depth > MAX_DEPTH) {
      return false;
    }
    if (v == null) {
      sb.append("null");
    } else if (v instanceof String s) {
      return string(sb, s);
    } else if (v instanceof Integer || v instanceof Long) {
      sb.append(((Number) v).longValue());
    } else if (v instanceof Double d) {
      if (!Double.isFinite(d)) {
        return false;
      }
      sb.append(Double.toString(d));
    } else if (v instanceof Boolean b) {
      sb.append(b ? "true" : "false");
    } else if (v instanceof JsonObject o) {
      return object(sb, o.getMap(), depth);
    } else if (v instanceof JsonArray a) {
      return array(sb, a.getList(), depth);
    } else if (v instanceof Map<?, ?> m) {
      return object(sb, m, depth);
    } else if (v instanceof List<?> l) {
      return array(sb, l, depth);
    } else {
      return false; // other numbers, dates, binaries, ...: Jackson's rules
    }
    return true;
  }

  private static boolean object(StringBuilder sb, Map<?, ?> m, int depth) {
    sb.append('{');
    boolean first = true;
    for (Map.Entry<?, ?> e : m.entrySet()) {
      if (!(e.getKey() instanceof String k)) {
        return false;
      }
      if (!first) {
        sb.append(',');
      }
      first = false;
      if (!string(sb, k)) {
        return false;
      }
      sb.append(':');
      if (!append(sb, e.getValue(), depth + 1)) {
        return false;
      }
    }
    sb.append('}');
    return true;
  }

  private static boolean array(StringBuilder sb, List<?> l, int depth) {
    sb.append('[');
    for (int i = 0; i < l.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      if (!append(sb, l.get(i), depth + 1)) {
        return false;
      }
    }
    sb.append(']');
    return true;
  }

  /** A string Jackson writes unescaped: no control character, quote or backslash. */
  private static boolean string(StringBuilder sb, String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == '"' || c == '\\') {
        return false;
      }
    }
    sb.append('"').append(s).append('"');
    return true;
  }
}
