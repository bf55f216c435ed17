package io.emcachers.core.model;

/**
 * What an oplog row does to the cached document: a full upsert or a delete, both keyed by doc id.
 */
public enum Operation {
  Upsert,
  Delete;

  /** Parses {@code Upsert}/{@code Delete}, case-insensitive. */
  public static Operation parse(String s) {
    if (s != null) {
      for (Operation op : values()) {
        if (op.name().equalsIgnoreCase(s)) {
          return op;
        }
      }
    }
    throw new IllegalArgumentException("operation must be Upsert or Delete, got: " + s);
  }
}
