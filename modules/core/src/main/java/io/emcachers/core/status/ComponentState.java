package io.emcachers.core.status;

import java.util.Locale;

/**
 * The state of a component (oplog, listener, replicator, cache, api) as it appears in {@code
 * StatusEvent}s of type {@code component} and in {@code HealthReply.state}. On the wire it is the
 * lower-case name ({@code leader}, {@code catching_up}, ...).
 */
public enum ComponentState {
  /** Starting up, not serving yet. */
  STARTING,
  /** API: the HTTP server is listening. */
  LISTENING,
  /** Cache-db manager: serving. */
  RUNNING,
  /** Shutting down. */
  STOPPING,
  /** Stopped (verticle undeployed). */
  STOPPED,
  /** Listener: change streams open. */
  STREAMING,
  /** Listener: a failure, retrying with back-off. */
  RETRYING,
  /** Oplog: holds the leader lock and serves writes. */
  LEADER,
  /** Oplog / listener: another node leads; reads only (oplog) or idle (listener). */
  STANDBY,
  /** Oplog: no writer connection to PostgreSQL. */
  DISCONNECTED,
  /** Replicator: behind the oplog head. */
  CATCHING_UP,
  /** Replicator: at the oplog head. */
  CAUGHT_UP,
  /** Replicator: the last sync attempt failed. */
  ERROR,
  /** Serving with a part unavailable. */
  DEGRADED;

  /** The name on the wire. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The state named {@code wire}; throws {@link IllegalArgumentException} for an unknown or null
   * name.
   */
  public static ComponentState fromWire(String wire) {
    ComponentState s = parse(wire);
    if (s == null) {
      throw new IllegalArgumentException("unknown component state '" + wire + "'");
    }
    return s;
  }

  /**
   * The state named {@code wire}, or null when it is null or not one of these (another node's newer
   * state).
   */
  public static ComponentState parse(String wire) {
    if (wire == null) {
      return null;
    }
    for (ComponentState s : values()) {
      if (s.wire().equals(wire)) {
        return s;
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return wire();
  }
}
