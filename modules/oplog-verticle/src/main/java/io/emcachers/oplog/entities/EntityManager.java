package io.emcachers.oplog.entities;

import io.emcachers.core.bus.BusException;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.EntityChanged;
import io.emcachers.core.messages.EntityListReply;
import io.emcachers.core.messages.EntityListRequest;
import io.emcachers.core.messages.EntityNameRequest;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.EntityStatusRequest;
import io.emcachers.core.messages.EntityUpsertRequest;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.validation.EntityValidator;
import io.emcachers.oplog.scan.ScanStore;
import io.emcachers.oplog.support.EventPublisher;
import io.emcachers.oplog.support.PgErrors;
import io.emcachers.oplog.writer.OplogHead;
import io.emcachers.oplog.writer.Transactions;
import io.emcachers.oplog.writer.WriteQueue;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entity manager: handles the {@code emc.entities.*} requests. Changes run as transactions on
 * the {@link WriteQueue} (serialised with appends, so routing to staging never races a status
 * change); reads go to the pool. Every committed change publishes {@code EntityChanged} and an
 * entity {@code StatusEvent}; {@link #refreshAndPublish()} re-publishes (as {@code refreshed})
 * every entity whose version differs from the last one this node published, so other verticles
 * converge.
 *
 * <p>Longer than our usual 300 lines on purpose: every change of an entity's lifecycle and the
 * events it publishes stay in one class, so the order "commit, then publish" is visible in one
 * place.
 */
public final class EntityManager {

  private static final Logger LOG = LoggerFactory.getLogger(EntityManager.class);

  /** What a status transition did, inside its transaction. */
  public record Transition(Entity previous, Entity current, int moved, long headId) {
    public boolean changed() {
      return current.version() != previous.version();
    }
  }

  private final Pool pool;
  private final WriteQueue queue;
  private final EventPublisher events;
  private final OplogHead head;
  private final Map<String, Long> publishedVersions = new ConcurrentHashMap<>();
  private final EntityPurger purger;

  public EntityManager(
      Pool pool, WriteQueue queue, EventPublisher events, OplogHead head, int chunkRows) {
    this.pool = pool;
    this.queue = queue;
    this.events = events;
    this.head = head;
    this.purger = new EntityPurger(queue, pool, chunkRows);
  }

  public EntityPurger purger() {
    return purger;
  }

  /**
   * {@code emc.entities.create}: validates, stores as pending v1; CONFLICT when a non-deleted
   * entity has the name. Re-creating a deleted name first finishes the purge of its old rows, so
   * the new incarnation never sees them; its epoch continues from the old one.
   */
  public Future<EntityReply> create(EntityUpsertRequest request) {
    EntityValidator.Definition def = EntityValidator.validate(request.definition());
    String name = def.name();
    return purger
        .purge(name)
        .compose(
            purged ->
                queue.<Entity[]>submit(
                    "create entity " + name,
                    conn ->
                        Transactions.inTransaction(
                            conn,
                            c ->
                                EntityStore.find(c, name)
                                    .compose(
                                        existing -> {
                                          if (existing.isPresent()
                                              && existing.get().status() != EntityStatus.deleted) {
                                            return Future.failedFuture(
                                                new BusException(
                                                    ErrorCodes.CONFLICT,
                                                    "entity " + name + " already exists"));
                                          }
                                          Future<Entity> created =
                                              existing.isPresent()
                                                  ? EntityStore.revive(c, name, def.shape())
                                                  : EntityStore.insert(c, name, def.shape());
                                          return created.map(
                                              e -> new Entity[] {e, existing.orElse(null)});
                                        }))))
        .map(
            pair -> {
              LOG.info("entity {} created (version {})", name, pair[0].version());
              publish(EntityChanged.CREATED, pair[0], pair[1], null);
              return new EntityReply(pair[0]);
            });
  }

  /**
   * {@code emc.entities.update}: NOT_FOUND when unknown or deleted; an unchanged shape is a no-op;
   * a new shape bumps the version and the epoch, sets pending (the listener re-scans) and forgets
   * the scan progress; rows staged or in flight for the old shape carry the old epoch and never
   * reach the oplog (they are dropped on arrival, or discarded when the next scan ends).
   */
  public Future<EntityReply> update(EntityUpsertRequest request) {
    EntityValidator.Definition def = EntityValidator.validate(request.definition());
    String name = def.name();
    return queue
        .<Entity[]>submit(
            "update entity " + name,
            conn ->
                Transactions.inTransaction(
                    conn,
                    c ->
                        requireCurrent(c, name)
                            .compose(
                                current -> {
                                  if (current.shape().toJson().equals(def.shape().toJson())) {
                                    return Future.succeededFuture(new Entity[] {current, current});
                                  }
                                  return ScanStore.deleteProgress(c, name)
                                      .compose(v -> EntityStore.updateShape(c, name, def.shape()))
                                      .map(updated -> new Entity[] {updated, current});
                                })))
        .map(
            pair -> {
              if (pair[0] != pair[1]) {
                LOG.info(
                    "entity {} shape changed (version {} -> {}), back to pending",
                    name,
                    pair[1].version(),
                    pair[0].version());
                publish(EntityChanged.SHAPE_CHANGED, pair[0], pair[1], null);
              }
              return new EntityReply(pair[0]);
            });
  }

  /** The entity {@code name} as it is now; fails NOT_FOUND when it is unknown or deleted. */
  public static Future<Entity> requireCurrent(SqlClient client, String name) {
    return EntityStore.find(client, name)
        .map(found -> found.filter(EntityManager::current).orElseThrow(() -> notFound(name)));
  }

  private static boolean current(Entity e) {
    return e.status() != EntityStatus.deleted;
  }

  private static BusException notFound(String name) {
    return BusException.notFound("entity " + name + " not found");
  }

  /** {@code emc.entities.get}: NOT_FOUND when unknown or deleted. */
  public Future<EntityReply> get(EntityNameRequest request) {
    String name = EntityValidator.requireName("name", request.name());
    return EntityStore.find(pool, name)
        .recover(e -> Future.failedFuture(PgErrors.toBus("get entity " + name, e)))
        .map(
            found ->
                new EntityReply(
                    found.filter(EntityManager::current).orElseThrow(() -> notFound(name))));
  }

  /** {@code emc.entities.list}: ordered by name; deleted ones only on request. */
  public Future<EntityListReply> list(EntityListRequest request) {
    return EntityStore.list(pool, request.includeDeleted())
        .recover(e -> Future.failedFuture(PgErrors.toBus("list entities", e)))
        .map(EntityListReply::new);
  }

  /**
   * {@code emc.entities.delete}: status deleted (version + 1), scan progress forgotten and its rows
   * marked for purging, in one transaction; the purge itself then runs in chunks ({@link
   * EntityPurger}). NOT_FOUND when unknown or already deleted.
   */
  public Future<EntityReply> delete(EntityNameRequest request) {
    String name = EntityValidator.requireName("name", request.name());
    return queue
        .<Entity[]>submit(
            "delete entity " + name,
            conn ->
                Transactions.inTransaction(
                    conn,
                    c ->
                        requireCurrent(c, name)
                            .compose(
                                current -> {
                                  return EntityPurger.mark(c, name, current.epoch())
                                      .compose(v -> ScanStore.deleteProgress(c, name))
                                      .compose(
                                          v -> EntityStore.setStatus(c, name, EntityStatus.deleted))
                                      .map(deleted -> new Entity[] {deleted, current});
                                })))
        .map(
            pair -> {
              LOG.info(
                  "entity {} deleted (version {}); purging its rows in the background",
                  name,
                  pair[0].version());
              publish(EntityChanged.DELETED, pair[0], pair[1], null);
              purger.purge(name);
              return new EntityReply(pair[0]);
            });
  }

  /**
   * {@code emc.entities.set-status}: pending, scanning, live or failed (deleted: use delete).
   * Moving to live flushes staged rows into the oplog like a scan end. Same status: no-op.
   */
  public Future<EntityReply> setStatus(EntityStatusRequest request) {
    String name = EntityValidator.requireName("name", request.name());
    EntityStatus target = request.status();
    if (target == null) {
      throw BusException.badRequest("status is required (pending, scanning, live or failed)");
    }
    if (target == EntityStatus.deleted) {
      throw BusException.badRequest("status deleted cannot be set; use emc.entities.delete");
    }
    return queue
        .submit(
            "set status of " + name,
            conn -> Transactions.inTransaction(conn, c -> transition(c, name, target)))
        .map(
            t -> {
              afterTransition(t, request.reason());
              return new EntityReply(t.current());
            });
  }

  /**
   * Inside a transaction on the writer connection: moves the entity to {@code target} (version + 1
   * when the status changes). For live, first moves its remaining staged rows of the current epoch
   * into the oplog in their original order and clears its scan progress (the proven deletes and the
   * bulk of the staged rows were moved before, in chunks, by the scan end). NOT_FOUND when unknown
   * or deleted.
   */
  public Future<Transition> transition(SqlConnection conn, String name, EntityStatus target) {
    return requireCurrent(conn, name)
        .compose(
            previous -> {
              Future<ScanStore.Moved> moved;
              if (target == EntityStatus.live) {
                moved = ScanStore.moveStaged(conn, name, previous.epoch());
              } else if (target == EntityStatus.scanning) {
                moved =
                    ScanStore.recordStart(conn, name, previous.epoch(), false)
                        .map(v -> new ScanStore.Moved(0, 0));
              } else {
                moved = Future.succeededFuture(new ScanStore.Moved(0, 0));
              }
              return moved.compose(
                  m -> {
                    if (previous.status() == target) {
                      return Future.succeededFuture(
                          new Transition(previous, previous, m.moved(), m.headId()));
                    }
                    return EntityStore.setStatus(conn, name, target)
                        .map(updated -> new Transition(previous, updated, m.moved(), m.headId()));
                  });
            });
  }

  /**
   * After a committed transition: publishes the status change and, when rows moved, the new head.
   */
  public void afterTransition(Transition t, String reason) {
    if (t.changed()) {
      LOG.info(
          "entity {}: {} -> {} (version {}){}",
          t.current().name(),
          t.previous().status(),
          t.current().status(),
          t.current().version(),
          t.moved() > 0 ? ", " + t.moved() + " staged row(s) moved into the oplog" : "");
      publish(EntityChanged.STATUS_CHANGED, t.current(), t.previous(), reason);
    }
    if (t.moved() > 0) {
      events.oplogAppended(head.advance(t.headId()));
    }
  }

  /**
   * {@code emc.entities.refresh}: reloads from PostgreSQL, publishes what differs, replies the
   * list.
   */
  public Future<EntityListReply> refresh(EntityListRequest request) {
    return reloadAndPublish()
        .map(
            all ->
                new EntityListReply(
                    request.includeDeleted()
                        ? all
                        : all.stream().filter(EntityManager::current).toList()));
  }

  /**
   * The periodic safety net: publishes {@code refreshed} for every entity whose version differs
   * from the last published.
   */
  public Future<Integer> refreshAndPublish() {
    return reloadAndPublish().map(List::size);
  }

  private Future<List<Entity>> reloadAndPublish() {
    return EntityStore.list(pool, true)
        .recover(e -> Future.failedFuture(PgErrors.toBus("refresh entities", e)))
        .map(
            all -> {
              int published = 0;
              for (Entity e : all) {
                if (!Objects.equals(publishedVersions.get(e.name()), e.version())) {
                  publish(EntityChanged.REFRESHED, e, null, null);
                  published++;
                }
              }
              if (published > 0) {
                LOG.info(
                    "entity refresh: published {} entit(ies) whose version changed", published);
              }
              return all;
            });
  }

  private void publish(EntityChanged.Change change, Entity entity, Entity previous, String reason) {
    publishedVersions.put(entity.name(), entity.version());
    events.entityChanged(change, entity, previous, reason);
  }
}
