package io.emcachers.core.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/** Column types of an entity shape; the canonical spelling is the constant's name. */
public enum DataType {
  JSONB,
  Any,
  Bool,
  Number,
  Integer,
  Text;

  /** Case-insensitive parse; returns null when the text names no type. */
  public static DataType parseOrNull(String s) {
    if (s == null) {
      return null;
    }
    for (DataType t : values()) {
      if (t.name().equalsIgnoreCase(s.trim())) {
        return t;
      }
    }
    return null;
  }

  public static String allowed() {
    return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
  }
}
