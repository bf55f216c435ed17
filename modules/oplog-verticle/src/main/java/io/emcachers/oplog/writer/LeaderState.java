package io.emcachers.oplog.writer;

import java.util.Locale;

/** Where this node's oplog writer stands. */
public enum LeaderState {
  /** No writer connection (PostgreSQL unreachable, or reconnecting). */
  DISCONNECTED,
  /** Connected, but another session holds the leader lock; reads only. */
  STANDBY,
  /** Holds the leader lock on the writer connection; serves writes. */
  LEADER;

  /** The name used on the bus ({@code leader}, {@code standby}, {@code disconnected}). */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
