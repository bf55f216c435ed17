package io.emcachers.core.model;

/**
 * Lifecycle of an entity. {@code pending} and {@code scanning} entities have their streamed oplog
 * entries staged until their scan ends; {@code live} entities stream straight into the oplog.
 */
public enum EntityStatus {
  pending,
  scanning,
  live,
  failed,
  deleted;

  public static EntityStatus parse(String s) {
    for (EntityStatus st : values()) {
      if (st.name().equalsIgnoreCase(s)) {
        return st;
      }
    }
    throw new IllegalArgumentException("unknown entity status: " + s);
  }

  /** Whether streamed entries of an entity in this status go to staging instead of the oplog. */
  public boolean stagesStreamedEntries() {
    return this == pending || this == scanning;
  }
}
