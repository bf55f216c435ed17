package io.emcachers.listener.scan;

import io.emcachers.core.client.OplogClient;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.ScanEndReply;
import io.emcachers.core.messages.ScanStateReply;
import io.emcachers.core.model.Entity;
import io.vertx.core.Future;

/**
 * The scan protocol's requests to the oplog side: begin an attempt, read its persisted progress,
 * end it.
 */
final class ScanOplog {

  /**
   * Bound of one scan end request (it is idempotent and joined on the oplog side, so a retry is
   * safe).
   */
  static final long SCAN_END_TIMEOUT_MS = 600_000;

  private final OplogClient oplog;
  private final long appendTimeoutMs;

  ScanOplog(OplogClient oplog, long appendTimeoutMs) {
    this.oplog = oplog;
    this.appendTimeoutMs = appendTimeoutMs;
  }

  /** {@code emc.oplog.scan.begin}: a new epoch, status scanning; the entity with that epoch. */
  Future<Entity> begin(String entity, String reason) {
    return oplog.scanBegin(entity, reason).map(EntityReply::entity);
  }

  /**
   * {@code emc.oplog.scan.state}: the last {@code _id} and count the attempt {@code epoch}
   * persisted.
   */
  Future<ScanStateReply> state(String entity, long epoch) {
    return oplog.scanState(entity, epoch);
  }

  /**
   * {@code emc.oplog.scan.end}: staged rows and proven deletes move behind the scan rows; the
   * entity becomes live.
   */
  Future<ScanEndReply> end(String entity, long epoch) {
    // a scan end moves staged rows and proven deletes in chunks: it may take minutes for millions
    // of rows
    return oplog.scanEnd(entity, epoch, Math.max(appendTimeoutMs, SCAN_END_TIMEOUT_MS));
  }
}
