package io.emcachers.listener.scan;

import io.emcachers.core.model.Entity;

/** How one scan ended: what its queue and the session do next. */
public sealed interface ScanOutcome {

  String entity();

  /** Scan end succeeded: the entity as the oplog side returned it (normally {@code live}). */
  record Live(String entity, Entity result) implements ScanOutcome {}

  /** A newer attempt or shape owns the entity (STALE): the queue requests a fresh attempt. */
  record Superseded(String entity) implements ScanOutcome {}

  /** The oplog side refused the request itself (BAD_REQUEST, VALIDATION): no retry can fix it. */
  record Refused(String entity, String reason) implements ScanOutcome {}

  /** The oplog side is not the leader: this node must stop streaming. */
  record NotLeader(String entity, Throwable cause) implements ScanOutcome {}

  /** Cancelled, or the entity is gone. */
  record Stopped(String entity) implements ScanOutcome {}
}
