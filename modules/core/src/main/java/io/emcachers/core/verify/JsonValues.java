package io.emcachers.core.verify;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * Equality of JSON values as the pipeline keeps them, not as they are spelled. A JSON value reaches
 * a cache through the oplog's {@code jsonb}, which re-spells it: object keys come back in jsonb's
 * order (shorter keys first), numbers in PostgreSQL {@code numeric}'s spelling ({@code 1e300} as
 * 301 digits, {@code 2.50} and {@code 2.5} alike). Two values are equal here when they are the same
 * JSON value: objects with the same keys whose values are equal (key order does not matter), arrays
 * of equal elements in the same order, equal strings and booleans, and numbers of equal numeric
 * value (a double by its shortest decimal spelling, as JSON writes it; fractions are read as
 * doubles, which every source number fits: BSON doubles, 32/64-bit integers).
 */
public final class JsonValues {

  private JsonValues() {}

  /**
   * Whether the JSON texts {@code a} and {@code b} hold equal values; false when either is null or
   * not valid JSON.
   */
  public static boolean sameJsonText(String a, String b) {
    if (a == null || b == null) {
      return false;
    }
    if (a.equals(b)) {
      return true;
    }
    try {
      return same(Json.decodeValue(a), Json.decodeValue(b));
    } catch (DecodeException e) {
      return false;
    }
  }

  /** Whether two decoded JSON values (Vert.x JSON types, maps, lists, boxed scalars) are equal. */
  public static boolean same(Object a, Object b) {
    if (a instanceof JsonObject o) {
      a = o.getMap();
    }
    if (b instanceof JsonObject o) {
      b = o.getMap();
    }
    if (a instanceof JsonArray l) {
      a = l.getList();
    }
    if (b instanceof JsonArray l) {
      b = l.getList();
    }
    if (a == null || b == null) {
      return a == b;
    }
    if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
      if (x.size() != y.size()) {
        return false;
      }
      for (Map.Entry<?, ?> e : x.entrySet()) {
        if (!y.containsKey(e.getKey()) || !same(e.getValue(), y.get(e.getKey()))) {
          return false;
        }
      }
      return true;
    }
    if (a instanceof List<?> x && b instanceof List<?> y) {
      if (x.size() != y.size()) {
        return false;
      }
      for (int i = 0; i < x.size(); i++) {
        if (!same(x.get(i), y.get(i))) {
          return false;
        }
      }
      return true;
    }
    if (a instanceof Number x && b instanceof Number y) {
      BigDecimal dx = decimal(x);
      BigDecimal dy = decimal(y);
      return dx != null && dy != null ? dx.compareTo(dy) == 0 : x.equals(y);
    }
    return a.equals(b);
  }

  /** The number's value as a decimal, or null for a NaN or an infinity. */
  private static BigDecimal decimal(Number n) {
    if (n instanceof BigDecimal d) {
      return d;
    }
    if (n instanceof BigInteger i) {
      return new BigDecimal(i);
    }
    if (n instanceof Double || n instanceof Float) {
      double d = n.doubleValue();
      return Double.isFinite(d) ? BigDecimal.valueOf(d) : null;
    }
    return BigDecimal.valueOf(n.longValue());
  }
}
