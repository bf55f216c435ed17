package io.emcachers.listener.scan;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.ScanBeginRequest;
import io.emcachers.core.messages.ScanEndReply;
import io.emcachers.core.messages.ScanEndRequest;
import io.emcachers.core.messages.ScanStateReply;
import io.emcachers.core.messages.ScanStateRequest;
import io.emcachers.core.model.Entity;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;

/** The scan protocol's requests to the oplog side: begin an attempt, read its persisted progress, end it. */
final class ScanOplog {

  /** Bound of one scan end request (it is idempotent and joined on the oplog side, so a retry is safe). */
  static final long SCAN_END_TIMEOUT_MS = 600_000;

  private final EventBus bus;
  private final long appendTimeoutMs;

  ScanOplog(EventBus bus, long appendTimeoutMs) {
    this.bus = bus;
    this.appendTimeoutMs = appendTimeoutMs;
  }

  /** {@code emc.oplog.scan.begin}: a new epoch, status scanning; the entity with that epoch. */
  Future<Entity> begin(String entity, String reason) {
    return Bus.request(bus, Addresses.OPLOG_SCAN_BEGIN, new ScanBeginRequest(entity, reason), EntityReply.class).map(EntityReply::entity);
  }

  /** {@code emc.oplog.scan.state}: the last {@code _id} and count the attempt {@code epoch} persisted. */
  Future<ScanStateReply> state(String entity, long epoch) {
    return Bus.request(bus, Addresses.OPLOG_SCAN_STATE, new ScanStateRequest(entity, epoch), ScanStateReply.class);
  }

  /** {@code emc.oplog.scan.end}: staged rows and proven deletes move behind the scan rows; the entity becomes live. */
  Future<ScanEndReply> end(String entity, long epoch) {
    // a scan end moves staged rows and proven deletes in chunks: it may take minutes for millions of rows
    DeliveryOptions opts = new DeliveryOptions().setSendTimeout(Math.max(appendTimeoutMs, SCAN_END_TIMEOUT_MS));
    return Bus.request(bus, Addresses.OPLOG_SCAN_END, new ScanEndRequest(entity, epoch), ScanEndReply.class, opts);
  }
}
