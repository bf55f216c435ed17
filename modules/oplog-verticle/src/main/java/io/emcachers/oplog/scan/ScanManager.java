package io.emcachers.oplog.scan;

import io.emcachers.core.bus.BusException;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.ScanBeginRequest;
import io.emcachers.core.messages.ScanEndReply;
import io.emcachers.core.messages.ScanEndRequest;
import io.emcachers.core.messages.ScanStateReply;
import io.emcachers.core.messages.ScanStateRequest;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.oplog.entities.EntityManager;
import io.emcachers.oplog.entities.EntityStore;
import io.emcachers.oplog.support.EventPublisher;
import io.emcachers.oplog.writer.OplogHead;
import io.emcachers.oplog.writer.Transactions;
import io.emcachers.oplog.writer.WriteQueue;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.sqlclient.SqlConnection;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scan protocol on the oplog side, every step checked against the entity's epoch in the
 * database:
 *
 * <ul>
 *   <li>{@code emc.oplog.scan.begin}: a new attempt (epoch + 1, scanning, start recorded, progress
 *       forgotten);
 *   <li>{@code emc.oplog.scan.state}: the stored progress of an attempt;
 *   <li>{@code emc.oplog.scan.end}: in chunks of at most {@code oplog.chunk_rows} rows, each its
 *       own short transaction (so stream appends interleave and no transaction runs long): 1. the
 *       proven deletes over the history before scan start (found by one read on the pool, written
 *       in chunks), 2. the staged rows moved behind the scan rows, 3. in one last transaction the
 *       rows staged meanwhile, progress cleared, status live.
 * </ul>
 *
 * A step of an attempt that is no longer current fails STALE; a deleted entity NOT_FOUND.
 */
public final class ScanManager {

  private static final Logger LOG = LoggerFactory.getLogger(ScanManager.class);

  private final ScanStore store;
  private final WriteQueue queue;
  private final EntityManager entities;
  private final EventPublisher events;
  private final OplogHead head;
  private final int chunkRows;
  private final Map<String, Future<ScanEndReply>> ending = new HashMap<>();

  public ScanManager(
      ScanStore store,
      WriteQueue queue,
      EntityManager entities,
      EventPublisher events,
      OplogHead head,
      int chunkRows) {
    this.store = store;
    this.queue = queue;
    this.entities = entities;
    this.events = events;
    this.head = head;
    this.chunkRows = chunkRows;
  }

  public Future<ScanStateReply> state(ScanStateRequest request) {
    return store.state(requireEntity(request.entity()), request.epoch());
  }

  /** A new scan attempt of the entity; replies the entity with its new epoch. */
  public Future<EntityReply> begin(ScanBeginRequest request) {
    String name = requireEntity(request.entity());
    return queue
        .submit(
            "scan begin of " + name,
            conn ->
                Transactions.inTransaction(
                    conn,
                    c ->
                        EntityManager.requireCurrent(c, name)
                            .compose(
                                previous -> {
                                  return ScanStore.deleteProgress(c, name)
                                      .compose(v -> EntityStore.beginScan(c, name))
                                      .compose(
                                          current ->
                                              ScanStore.recordStart(c, name, current.epoch(), true)
                                                  .map(
                                                      v ->
                                                          new EntityManager.Transition(
                                                              previous, current, 0, 0)));
                                })))
        .map(
            t -> {
              LOG.info(
                  "entity {}: scan attempt {} begins ({})",
                  name,
                  t.current().epoch(),
                  request.reason());
              entities.afterTransition(
                  t, request.reason() == null ? "scan begins" : request.reason());
              return new EntityReply(t.current());
            });
  }

  /**
   * Ends the entity's scan attempt {@code epoch} (0: whatever attempt is current). Idempotent: a
   * repeated end of an attempt that already ended moves nothing and replies the entity unchanged; a
   * repeated request while the end runs joins it.
   */
  public Future<ScanEndReply> end(ScanEndRequest request) {
    String name = requireEntity(request.entity());
    String key = name + "@" + request.epoch();
    Future<ScanEndReply> running = ending.get(key);
    if (running != null) {
      return running;
    }
    Promise<ScanEndReply> promise = Promise.promise();
    ending.put(key, promise.future());
    new Ending(name, request.epoch())
        .run()
        .onComplete(
            ar -> {
              ending.remove(key);
              promise.handle(ar);
            });
    return promise.future();
  }

  /** One scan end in progress. */
  private final class Ending {
    final String name;
    final long epoch;
    long startId = -1;
    int deleted;
    int moved;
    long lastHead;

    Ending(String name, long epoch) {
      this.name = name;
      this.epoch = epoch;
    }

    Future<ScanEndReply> run() {
      return queue
          .submit("scan end check of " + name, conn -> current(conn))
          .compose(
              entity -> {
                if (entity.status() == EntityStatus.live
                    && (epoch == 0 || entity.epoch() == epoch)) {
                  return Future.succeededFuture(new ScanEndReply(entity, 0, 0)); // repeated end
                }
                long effective = entity.epoch();
                return store
                    .refreshStatistics()
                    .compose(
                        v ->
                            queue.submit(
                                "scan start of " + name, conn -> ScanStore.start(conn, name)))
                    .compose(
                        start -> {
                          startId =
                              start
                                  .filter(s -> s.epoch() == 0 || s.epoch() == effective)
                                  .map(ScanStore.Start::startId)
                                  .orElse(-1L);
                          return orphans(effective);
                        })
                    .compose(v -> moveChunks(effective))
                    .compose(v -> finish());
              });
    }

    private Future<Entity> current(SqlConnection conn) {
      return EntityStore.find(conn, name)
          .map(
              found -> {
                Entity e =
                    found
                        .filter(x -> x.status() != EntityStatus.deleted)
                        .orElseThrow(() -> BusException.notFound("entity " + name + " not found"));
                if (epoch > 0 && e.epoch() != epoch) {
                  throw new BusException(
                      ErrorCodes.STALE,
                      "scan end of "
                          + name
                          + " at epoch "
                          + epoch
                          + " refused: the entity is "
                          + e.status()
                          + " at epoch "
                          + e.epoch()
                          + "; a newer scan attempt or shape owns it");
                }
                if (epoch > 0
                    && e.status() != EntityStatus.scanning
                    && e.status() != EntityStatus.live) {
                  throw new BusException(
                      ErrorCodes.STALE,
                      "scan end of "
                          + name
                          + " at epoch "
                          + epoch
                          + " refused: the entity is "
                          + e.status());
                }
                return e;
              });
    }

    private Future<Void> orphans(long effective) {
      if (startId < 0) {
        return Future.succeededFuture();
      }
      return store
          .orphanCandidates(
              name,
              startId,
              effective,
              chunkRows,
              (snapshot, candidates) ->
                  queue
                      .<ScanStore.Chunk>submit(
                          "scan end of "
                              + name
                              + ": "
                              + candidates.size()
                              + " proven delete candidate(s)",
                          conn ->
                              Transactions.inChunkTransaction(
                                  conn,
                                  c ->
                                      current(c)
                                          .compose(
                                              e ->
                                                  ScanStore.insertOrphans(
                                                      c,
                                                      name,
                                                      candidates,
                                                      effective,
                                                      snapshot,
                                                      e.status() == EntityStatus.scanning))))
                      .map(
                          chunk -> {
                            deleted += chunk.written();
                            advance(chunk.headId());
                            return null;
                          }))
          .mapEmpty();
    }

    private Future<Void> moveChunks(long effective) {
      return queue
          .<ScanStore.Chunk>submit(
              "scan end of " + name + ": moving staged rows",
              conn ->
                  Transactions.inChunkTransaction(
                      conn,
                      c ->
                          current(c)
                              .compose(e -> ScanStore.moveChunk(c, name, effective, chunkRows))))
          .compose(
              chunk -> {
                moved += chunk.written();
                advance(chunk.headId());
                return chunk.scanned() < chunkRows
                    ? Future.succeededFuture()
                    : moveChunks(effective);
              });
    }

    private Future<ScanEndReply> finish() {
      return queue
          .submit(
              "scan end of " + name,
              conn ->
                  Transactions.inChunkTransaction(
                      conn,
                      c ->
                          current(c).compose(e -> entities.transition(c, name, EntityStatus.live))))
          .map(
              t -> {
                entities.afterTransition(t, "scan ended");
                int total = moved + t.moved();
                if (deleted > 0 || total > 0) {
                  LOG.info(
                      "entity {}: scan end appended {} proven delete(s) and moved {} staged row(s)",
                      name,
                      deleted,
                      total);
                }
                return new ScanEndReply(
                    t.current(), total + deleted, Math.max(Math.max(t.headId(), lastHead), 0));
              });
    }

    private void advance(long headId) {
      if (headId > 0) {
        lastHead = Math.max(lastHead, headId);
        events.oplogAppended(head.advance(headId));
      }
    }
  }

  private static String requireEntity(String entity) {
    if (entity == null || entity.isBlank()) {
      throw BusException.badRequest("entity is required");
    }
    return entity;
  }
}
