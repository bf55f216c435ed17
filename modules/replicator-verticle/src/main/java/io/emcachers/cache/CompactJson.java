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

  /**
   * Whether {@code text} is exactly what {@link #write} writes for {@code value}, checked in place
   * without building that text (the verifier's compare asks this for every JSON column of every row
   * it reads). False when {@link #write} would decline, whatever the text.
   */
  static boolean matches(String text, Object value) {
    return text != null && match(text, 0, value, 0) == text.length();
  }

  /** The index after {@code v}'s text written at {@code i} of {@code t}, or -1. */
  private static int match(String t, int i, Object v, int depth) {
    if (i < 0 || depth > MAX_DEPTH) {
      return -1;
    }
    if (v == null) {
      return literal(t, i, "null");
    } else if (v instanceof String s) {
      return string(t, i, s);
    } else if (v instanceof Integer || v instanceof Long) {
      return integer(t, i, ((Number) v).longValue());
    } else if (v instanceof Double d) {
      return Double.isFinite(d) ? literal(t, i, Double.toString(d)) : -1;
    } else if (v instanceof Boolean b) {
      return literal(t, i, b ? "true" : "false");
    } else if (v instanceof JsonObject o) {
      return object(t, i, o.getMap(), depth);
    } else if (v instanceof JsonArray a) {
      return array(t, i, a.getList(), depth);
    } else if (v instanceof Map<?, ?> m) {
      return object(t, i, m, depth);
    } else if (v instanceof List<?> l) {
      return array(t, i, l, depth);
    }
    return -1;
  }

  private static int object(String t, int i, Map<?, ?> m, int depth) {
    i = literal(t, i, '{');
    boolean first = true;
    for (Map.Entry<?, ?> e : m.entrySet()) {
      if (!(e.getKey() instanceof String k)) {
        return -1;
      }
      if (!first) {
        i = literal(t, i, ',');
      }
      first = false;
      i = literal(t, string(t, i, k), ':');
      i = match(t, i, e.getValue(), depth + 1);
      if (i < 0) {
        return -1;
      }
    }
    return literal(t, i, '}');
  }

  private static int array(String t, int i, List<?> l, int depth) {
    i = literal(t, i, '[');
    for (int k = 0; k < l.size() && i >= 0; k++) {
      if (k > 0) {
        i = literal(t, i, ',');
      }
      i = match(t, i, l.get(k), depth + 1);
    }
    return literal(t, i, ']');
  }

  private static int string(String t, int i, String s) {
    if (i < 0 || !plain(s)) {
      return -1;
    }
    int end = i + s.length() + 1;
    return t.length() > end && t.charAt(i) == '"' && t.startsWith(s, i + 1) && t.charAt(end) == '"'
        ? end + 1
        : -1;
  }

  /** The digits of {@code n} as {@code StringBuilder.append(long)} writes them. */
  private static int integer(String t, int i, long n) {
    if (n == Long.MIN_VALUE) {
      return literal(t, i, Long.toString(n));
    }
    if (n < 0) {
      i = literal(t, i, '-');
      n = -n;
    }
    int digits = 1;
    for (long rest = n / 10; rest > 0; rest /= 10) {
      digits++;
    }
    if (i < 0 || t.length() < i + digits) {
      return -1;
    }
    for (int k = i + digits - 1; k >= i; k--, n /= 10) {
      if (t.charAt(k) != (char) ('0' + n % 10)) {
        return -1;
      }
    }
    return i + digits;
  }

  private static int literal(String t, int i, String lit) {
    return i >= 0 && t.startsWith(lit, i) ? i + lit.length() : -1;
  }

  private static int literal(String t, int i, char c) {
    return i >= 0 && i < t.length() && t.charAt(i) == c ? i + 1 : -1;
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

  private static boolean string(StringBuilder sb, String s) {
    if (!plain(s)) {
      return false;
    }
    sb.append('"').append(s).append('"');
    return true;
  }

  /** A string Jackson writes unescaped: no control character, quote or backslash. */
  private static boolean plain(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == '"' || c == '\\') {
        return false;
      }
    }
    return true;
  }
}
