package io.emcachers.oplog.writer;

import io.emcachers.core.status.ComponentState;

/** Where this node's oplog writer stands. */
public enum LeaderState {
  /** No writer connection (PostgreSQL unreachable, or reconnecting). */
  DISCONNECTED,
  /** Connected, but another session holds the leader lock; reads only. */
  STANDBY,
  /** Holds the leader lock on the writer connection; serves writes. */
  LEADER;

  /** The component state this is on the status feed and in health replies. */
  public ComponentState componentState() {
    return switch (this) {
      case DISCONNECTED -> ComponentState.DISCONNECTED;
      case STANDBY -> ComponentState.STANDBY;
      case LEADER -> ComponentState.LEADER;
    };
  }

  /** The name used on the bus ({@code leader}, {@code standby}, {@code disconnected}). */
  public String wireName() {
    return componentState().wire();
  }
}
