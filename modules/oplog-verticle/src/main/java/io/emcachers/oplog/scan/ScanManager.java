package io.emcachers.oplog.scan;

import io.emcachers.core.bus.BusException;
import io.emcachers.core.messages.ScanEndReply;
import io.emcachers.core.messages.ScanEndRequest;
import io.emcachers.core.messages.ScanStateReply;
import io.emcachers.core.messages.ScanStateRequest;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.oplog.entities.EntityManager;
import io.emcachers.oplog.writer.Transactions;
import io.emcachers.oplog.writer.WriteQueue;
import io.vertx.core.Future;

/**
 * The scan protocol: {@code emc.oplog.scan.state} (stored progress, read from the pool) and
 * {@code emc.oplog.scan.end} (in one transaction on the writer: staged rows moved behind the scan
 * rows in their original order, scan progress deleted, entity live).
 */
public final class ScanManager {

  private final ScanStore store;
  private final WriteQueue queue;
  private final EntityManager entities;

  public ScanManager(ScanStore store, WriteQueue queue, EntityManager entities) {
    this.store = store;
    this.queue = queue;
    this.entities = entities;
  }

  public Future<ScanStateReply> state(ScanStateRequest request) {
    return store.state(requireEntity(request.entity()));
  }

  /**
   * Ends the entity's scan. Idempotent: a repeated scan end of a live entity moves nothing and
   * replies the entity unchanged. NOT_FOUND when the entity is unknown or deleted.
   */
  public Future<ScanEndReply> end(ScanEndRequest request) {
    String name = requireEntity(request.entity());
    return queue.submit("scan end of " + name, conn -> Transactions.inTransaction(conn, c -> entities.transition(c, name, EntityStatus.live)))
        .map(t -> {
          entities.afterTransition(t, "scan ended");
          return new ScanEndReply(t.current(), t.moved(), Math.max(t.headId(), 0));
        });
  }

  private static String requireEntity(String entity) {
    if (entity == null || entity.isBlank()) {
      throw BusException.badRequest("entity is required");
    }
    return entity;
  }
}
