package io.emcachers.core.config;

import io.vertx.core.json.JsonObject;
import java.math.BigInteger;

/**
 * Typed reads of root-config values, shared by every verticle's {@code XConfig.fromJson}.
 *
 * <p>Each read takes the section it reads from, the key inside that section, a default returned
 * when the key is missing or JSON {@code null}, and a {@code label}: the full name of the key as it
 * is written in the config ({@code "listener.batch_max_entries"}), used in error messages. A value
 * of the wrong type or out of range throws {@link IllegalArgumentException} with a message of the
 * form {@code "LABEL must be ..., got VALUE"}, e.g. {@code "listener.batch_max_entries must be >=
 * 1, got 0"}.
 *
 * <p>Pure functions over {@link JsonObject}s: no file, network or other I/O.
 */
public final class ConfigValues {

  private static final String NODE_ID = "node_id";

  private static final String DEFAULT_NODE_ID = hostName() + "-" + ProcessHandle.current().pid();

  private ConfigValues() {}

  /**
   * The object under {@code name} in {@code root}.
   *
   * @param root the root config (not null)
   * @param name the section's key, e.g. {@code "listener"}
   * @return the section, or a new empty object when {@code name} is missing or null
   * @throws IllegalArgumentException {@code "NAME must be an object, got ..."} when the value is
   *     not an object
   */
  public static JsonObject section(JsonObject root, String name) {
    Object v = root.getValue(name);
    if (v == null) {
      return new JsonObject();
    }
    if (!(v instanceof JsonObject o)) {
      throw new IllegalArgumentException(name + " must be an object, got " + v);
    }
    return o;
  }

  /**
   * A string value; any string, including an empty one, is accepted.
   *
   * @param section the object holding {@code key}
   * @param label the full key name for error messages, e.g. {@code "api.host"}
   * @param key the key inside {@code section}
   * @param def returned when the key is missing or null (may be null)
   * @return the value, or {@code def}
   * @throws IllegalArgumentException {@code "LABEL must be a string, got ..."} when the value is
   *     not a string
   */
  public static String string(JsonObject section, String label, String key, String def) {
    Object v = section.getValue(key);
    if (v == null) {
      return def;
    }
    if (!(v instanceof String s)) {
      throw new IllegalArgumentException(label + " must be a string, got " + v);
    }
    return s;
  }

  /**
   * A string value that must not be empty or blank.
   *
   * @param section the object holding {@code key}
   * @param label the full key name for error messages, e.g. {@code "mongo.url"}
   * @param key the key inside {@code section}
   * @param def returned when the key is missing or null (may be null)
   * @return the value, or {@code def}
   * @throws IllegalArgumentException {@code "LABEL must be a non-empty string, got ..."} when the
   *     value is not a string or is blank
   */
  public static String nonBlankString(JsonObject section, String label, String key, String def) {
    Object v = section.getValue(key);
    if (v == null) {
      return def;
    }
    if (!(v instanceof String s) || s.isBlank()) {
      throw new IllegalArgumentException(label + " must be a non-empty string, got " + v);
    }
    return s;
  }

  /**
   * An integral number within {@code [min, max]}. Integer JSON numbers are accepted as they are; a
   * fractional-looking number ({@code 5.0}) is accepted when its value is integral.
   *
   * @param section the object holding {@code key}
   * @param label the full key name for error messages, e.g. {@code "oplog.read_max_rows"}
   * @param key the key inside {@code section}
   * @param def returned when the key is missing or null (not range-checked)
   * @param min smallest accepted value
   * @param max largest accepted value
   * @return the value, or {@code def}
   * @throws IllegalArgumentException {@code "LABEL must be an integer, got ..."} (a string value is
   *     shown in quotes, so {@code "5"} is told apart from {@code 5}), {@code "LABEL must be >=
   *     MIN, got X"} or {@code "LABEL must be <= MAX, got X"}
   */
  public static long integer(
      JsonObject section, String label, String key, long def, long min, long max) {
    Object v = section.getValue(key);
    if (v == null) {
      return def;
    }
    long value;
    if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      value = ((Number) v).longValue();
    } else if (v instanceof BigInteger big) {
      if (big.bitLength() > 63) {
        throw outOfRange(label, big.signum() < 0, min, max, big);
      }
      value = big.longValue();
    } else if (v instanceof Number n) {
      double d = n.doubleValue();
      if (!Double.isFinite(d) || d != Math.rint(d)) {
        throw new IllegalArgumentException(label + " must be an integer, got " + v);
      }
      if (d >= 0x1p63 || d < -0x1p63) {
        throw outOfRange(label, d < 0, min, max, v);
      }
      value = (long) d;
    } else {
      throw new IllegalArgumentException(
          label + " must be an integer, got " + (v instanceof String ? "\"" + v + "\"" : v));
    }
    requireMin(label, value, min);
    if (value > max) {
      throw outOfRange(label, false, min, max, value);
    }
    return value;
  }

  /**
   * A boolean value.
   *
   * @param section the object holding {@code key}
   * @param label the full key name for error messages, e.g. {@code "api.open_reads"}
   * @param key the key inside {@code section}
   * @param def returned when the key is missing or null
   * @return the value, or {@code def}
   * @throws IllegalArgumentException {@code "LABEL must be true or false, got ..."} when the value
   *     is not a boolean
   */
  public static boolean bool(JsonObject section, String label, String key, boolean def) {
    Object v = section.getValue(key);
    if (v == null) {
      return def;
    }
    if (!(v instanceof Boolean b)) {
      throw new IllegalArgumentException(label + " must be true or false, got " + v);
    }
    return b;
  }

  /**
   * This node's id: the root {@code node_id}, or {@link #defaultNodeId()} when it is missing or
   * null.
   *
   * @param root the root config (not null)
   * @return the node id, never blank
   * @throws IllegalArgumentException {@code "node_id must be a non-empty string or null, got ..."}
   *     when {@code node_id} is not a string or is blank
   */
  public static String nodeId(JsonObject root) {
    Object v = root.getValue(NODE_ID);
    if (v == null) {
      return DEFAULT_NODE_ID;
    }
    if (!(v instanceof String s) || s.isBlank()) {
      throw new IllegalArgumentException(NODE_ID + " must be a non-empty string or null, got " + v);
    }
    return s;
  }

  /**
   * The node id used when the config has none: the host name (the {@code HOSTNAME} or {@code
   * COMPUTERNAME} environment variable, {@code node} when neither is set), a dash, and this
   * process's pid. The same value for the life of the process.
   *
   * @return e.g. {@code "web-1-4711"}
   */
  public static String defaultNodeId() {
    return DEFAULT_NODE_ID;
  }

  /**
   * Checks a lower bound.
   *
   * @param label the full key name for the error message
   * @param value the value to check
   * @param min smallest accepted value
   * @throws IllegalArgumentException {@code "LABEL must be >= MIN, got VALUE"} when {@code value <
   *     min}
   */
  public static void requireMin(String label, long value, long min) {
    if (value < min) {
      throw new IllegalArgumentException(label + " must be >= " + min + ", got " + value);
    }
  }

  /**
   * Checks a condition that has its own message (cross-key rules, enum values, ...).
   *
   * @param ok the condition
   * @param message the full error message, naming the key
   * @throws IllegalArgumentException with {@code message} when {@code ok} is false
   */
  public static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  private static IllegalArgumentException outOfRange(
      String label, boolean low, long min, long max, Object value) {
    return new IllegalArgumentException(
        label + (low ? " must be >= " + min : " must be <= " + max) + ", got " + value);
  }

  private static String hostName() {
    for (String variable : new String[] {"HOSTNAME", "COMPUTERNAME"}) {
      String v = System.getenv(variable);
      if (v != null && !v.isBlank()) {
        return v.strip();
      }
    }
    return "node";
  }
}
