package io.emcachers.listener.scan;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.messages.ScanEndReply;
import io.emcachers.core.messages.ScanEndRequest;
import io.emcachers.core.messages.ScanStateReply;
import io.emcachers.core.messages.ScanStateRequest;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.model.Operation;
import io.emcachers.core.projection.BsonJson;
import io.emcachers.core.projection.DocIds;
import io.emcachers.core.projection.Projection;
import io.emcachers.listener.ListenerConfig;
import io.emcachers.listener.flow.BatchWindow;
import io.emcachers.listener.mongo.MongoSource;
import io.emcachers.listener.mongo.PagedCursor;
import io.emcachers.listener.stream.CollectionStream;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.BsonType;
import org.bson.BsonValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshot side for one entity: reads its source collection in {@code _id} order in batches
 * and appends them as scan batches (rows plus scan progress in one oplog transaction), then ends the
 * scan through the oplog protocol (staged stream rows move behind the scan rows, the entity becomes
 * live). Meanwhile the entity is {@code scanning}, so its streamed entries are staged. The steps:
 * <ol>
 *   <li>status → scanning (unless it already is)
 *   <li>wait until the change stream of its collection is open (its position is then fixed, before any read)
 *   <li>pick the start: after the persisted last {@code _id} when continuing a scan interrupted by a
 *       restart whose stream resumed from a stored token, else from the first document
 *   <li>read {@code _id}-ordered batches and append them through the backpressure window
 *   <li>scan end → live
 * </ol>
 * A failed step is retried with capped exponential backoff from the last acked batch.
 */
public final class EntityScanner {

  private static final Logger LOG = LoggerFactory.getLogger(EntityScanner.class);

  /** MongoDB's cross-type sort order of _id values, as $type aliases per bracket (arrays cannot be _ids). */
  static final List<List<String>> TYPE_BRACKETS = List.of(
      List.of("minKey"), List.of("null"), List.of("int", "long", "double", "decimal"), List.of("string"), List.of("object"),
      List.of("binData"), List.of("objectId"), List.of("bool"), List.of("date"), List.of("timestamp"), List.of("regex"),
      List.of("maxKey"));

  public enum Mode { FROM_START, CONTINUE }

  /** Bound of one scan end request (it is idempotent and joined on the oplog side, so a retry is safe). */
  static final long SCAN_END_TIMEOUT_MS = 600_000;

  /** What a scan needs from the listener. */
  public interface Host {
    /** The entity as currently known (null once deleted). */
    Entity entity(String name);

    Projection projection(String name);

    /** The open-or-opening stream that carries the entity's collection. */
    CollectionStream streamFor(Entity entity);

    /** Begins a new scan attempt on the oplog side; returns the entity with the attempt's epoch. */
    Future<Entity> beginScan(String name, String reason);

    /** The oplog side rejected entries of an acked batch ({@code [{entity, doc_id, reason}]}). */
    void rejected(String source, io.vertx.core.json.JsonArray rejected);

    /** This scan's attempt is no longer current (STALE): a new attempt must take over. */
    void superseded(String name);

    /** The oplog side refused the scan in a way no retry can fix: report it and mark the entity failed. */
    void scanFailed(String name, String reason);

    void mismatches(String entity, String docId, List<Projection.Mismatch> mismatches);

    void progress(String entity, long scanned, long estimatedTotal, boolean done);

    void notLeader(Throwable cause);
  }

  private final Vertx vertx;
  private final ListenerConfig config;
  private final MongoSource source;
  private final BatchWindow window;
  private final Host host;
  private final String entityName;
  private final Mode mode;
  private final String reason;
  private final Promise<Entity> result = Promise.promise();

  private boolean cancelled;
  private boolean statusSet;
  private boolean continuing;
  private long epoch;
  private boolean startChosen;
  private BsonValue lastId;
  private PagedCursor<BsonDocument> cursor;
  private long scanned;
  private long estimated = -1;
  private int consecutiveErrors;
  private long retryTimer = -1;
  private String lastError;
  private String step = "queued";

  public EntityScanner(Vertx vertx, ListenerConfig config, MongoSource source, BatchWindow window, Host host,
                       String entityName, Mode mode, String reason) {
    this.vertx = vertx;
    this.config = config;
    this.source = source;
    this.window = window;
    this.host = host;
    this.entityName = entityName;
    this.mode = mode;
    this.reason = reason;
  }

  public String entityName() {
    return entityName;
  }

  public Mode mode() {
    return mode;
  }

  /** Runs the scan; completes with the live entity, or fails (CancellationException when cancelled). */
  public Future<Entity> run() {
    LOG.info("listener: scan of {} starting ({}, {})", entityName, mode == Mode.CONTINUE ? "may continue" : "from start", reason);
    attempt();
    return result.future();
  }

  public void cancel() {
    if (!cancelled) {
      cancelled = true;
      if (retryTimer >= 0) {
        vertx.cancelTimer(retryTimer);
      }
      result.tryFail(new CancellationException("scan of " + entityName + " cancelled"));
    }
  }

  public boolean cancelled() {
    return cancelled;
  }

  private void attempt() {
    if (cancelled) {
      return;
    }
    Entity entity = host.entity(entityName);
    if (entity == null) {
      cancel();
      return;
    }
    step1Status(entity)
        .compose(this::step2StreamOpen)
        .compose(this::step3Start)
        .compose(this::step4Read)
        .compose(v -> step5End())
        .onComplete(ar -> {
          if (cancelled) {
            return;
          }
          if (ar.succeeded()) {
            if (consecutiveErrors > 0) {
              LOG.info("listener: scan of {} recovered after {} consecutive error(s)", entityName, consecutiveErrors);
            }
            result.tryComplete(ar.result());
            return;
          }
          Throwable cause = ar.cause();
          int code = Bus.codeOf(cause);
          if (code == ErrorCodes.NOT_LEADER) {
            host.notLeader(cause);
            cancel();
            return;
          }
          if (code == ErrorCodes.STALE) {
            LOG.info("listener: scan of {} attempt {} superseded: {}", entityName, epoch, cause.getMessage());
            cancel();
            host.superseded(entityName);
            return;
          }
          if (code == ErrorCodes.NOT_FOUND || cause instanceof CancellationException) {
            LOG.info("listener: scan of {} stopped: {}", entityName, cause.getMessage());
            cancel();
            return;
          }
          if (code == ErrorCodes.BAD_REQUEST || code == ErrorCodes.VALIDATION) {
            // the oplog side refused the request itself (not one document): the same request fails again
            LOG.error("listener: scan of {} refused at step '{}' and no retry can fix it: {}", entityName, step, cause.getMessage());
            cancel();
            host.scanFailed(entityName, step + ": " + cause.getMessage());
            return;
          }
          consecutiveErrors++;
          lastError = cause.toString();
          long delay = config.backoffMs(consecutiveErrors);
          LOG.warn("listener: scan of {} failed at step '{}' ({} consecutive): {}; retrying in {} ms",
              entityName, step, consecutiveErrors, cause.toString(), delay);
          retryTimer = vertx.setTimer(delay, t -> {
            retryTimer = -1;
            attempt();
          });
        });
  }

  /**
   * Continues the entity's current attempt (its epoch) only when a restart interrupted it and the
   * stream resumed from a stored token, so staging and progress are gap-free; otherwise begins a new
   * attempt: a new epoch, start and progress, and nothing of an abandoned attempt is reused.
   */
  private Future<Entity> step1Status(Entity entity) {
    step = "1/5 scan attempt";
    if (statusSet) {
      return Future.succeededFuture(entity);
    }
    CollectionStream stream = host.streamFor(entity);
    if (mode == Mode.CONTINUE && entity.status() == EntityStatus.scanning && entity.epoch() > 0 && stream != null && stream.position().continuous()) {
      statusSet = true;
      continuing = true;
      epoch = entity.epoch();
      LOG.info("listener: scan of {} step 1/5: continuing attempt {}", entityName, epoch);
      return Future.succeededFuture(entity);
    }
    LOG.info("listener: scan of {} step 1/5: new scan attempt (status {} -> scanning)", entityName, entity.status());
    return host.beginScan(entityName, reason).map(e -> {
      statusSet = true;
      epoch = e.epoch();
      LOG.info("listener: scan of {} attempt {} begins", entityName, epoch);
      return e;
    });
  }

  private Future<Entity> step2StreamOpen(Entity entity) {
    checkCancelled();
    step = "2/5 stream open";
    CollectionStream stream = host.streamFor(entity);
    if (stream == null) {
      return Future.failedFuture(new IllegalStateException("no change stream for " + entity.shape().sourceName()));
    }
    LOG.info("listener: scan of {} step 2/5: waiting for change stream {} to hold its position", entityName, stream.name());
    return stream.whenOpen().map(v -> entity);
  }

  private Future<Entity> step3Start(Entity entity) {
    checkCancelled();
    step = "3/5 start position";
    if (startChosen) {
      return Future.succeededFuture(entity);
    }
    CollectionStream stream = host.streamFor(entity);
    Future<Void> start;
    if (continuing) {
      start = Bus.request(vertx.eventBus(), Addresses.OPLOG_SCAN_STATE, new ScanStateRequest(entityName, epoch), ScanStateReply.class).map(reply -> {
        lastId = BsonJson.unwrap(reply.lastId());
        scanned = lastId == null ? 0 : reply.scanned();
        return null;
      });
    } else {
      lastId = null;
      scanned = 0;
      start = Future.succeededFuture();
    }
    return start.compose(v -> source.estimatedCount(entity.shape().sourceName()).otherwise(-1L)).map(count -> {
      estimated = count == null ? -1 : count;
      startChosen = true;
      LOG.info("listener: scan of {} step 3/5: {} (about {} documents in {})", entityName,
          lastId == null ? "from the first _id" : "continuing after _id " + BsonJson.toJsonValue(lastId) + " (" + scanned + " scanned before)",
          estimated, entity.shape().sourceName());
      return entity;
    });
  }

  private Future<Void> step4Read(Entity entity) {
    checkCancelled();
    step = "4/5 read";
    closeCursor();
    // One cursor for the whole collection (a restarted read opens a new one after the last acked _id):
    // the server walks the _id index once instead of once per page.
    cursor = source.cursor(entity.shape().sourceName(), filterAfter(lastId), new BsonDocument("_id", new BsonInt32(1)), config.scanBatchSize());
    Promise<Void> done = Promise.promise();
    readNext(done, cursor, cursor.next(config.scanBatchSize()));
    return done.future().onComplete(ar -> closeCursor());
  }

  private void closeCursor() {
    if (cursor != null) {
      cursor.close();
      cursor = null;
    }
  }

  /**
   * Appends one page, then the next (a loop, not a chain of nested futures). The next page is
   * requested while this one is appended, so MongoDB reads and oplog writes overlap; at most two
   * pages are held in memory. Progress ({@code lastId}) still moves only through acked appends.
   */
  private void readNext(Promise<Void> done, PagedCursor<BsonDocument> from, Future<List<BsonDocument>> page) {
    if (cancelled) {
      done.tryFail(new CancellationException("scan of " + entityName + " cancelled"));
      return;
    }
    if (host.entity(entityName) == null) {
      done.tryFail(new CancellationException("entity " + entityName + " deleted"));
      return;
    }
    List<Future<List<BsonDocument>>> prefetched = new ArrayList<>(1);
    page.compose(docs -> {
          if (docs.size() >= config.scanBatchSize()) {
            prefetched.add(from.next(config.scanBatchSize()));
          }
          return appendChunks(docs, 0).map(docs.size());
        })
        .onComplete(ar -> {
          if (ar.failed()) {
            done.tryFail(ar.cause());
            return;
          }
          host.progress(entityName, scanned, estimated, false);
          if (prefetched.isEmpty()) {
            LOG.info("listener: scan of {} step 4/5: read {} documents", entityName, scanned);
            done.tryComplete();
          } else {
            readNext(done, from, prefetched.get(0));
          }
        });
  }

  private Future<Void> appendChunks(List<BsonDocument> docs, int from) {
    checkCancelled();
    if (from >= docs.size()) {
      return Future.succeededFuture();
    }
    int to = Math.min(docs.size(), from + config.batchMaxEntries());
    Projection projection = host.projection(entityName);
    if (projection == null) {
      return Future.failedFuture(new CancellationException("entity " + entityName + " deleted"));
    }
    List<OplogEntry> entries = new ArrayList<>(to - from);
    BsonValue chunkLast = null;
    io.vertx.core.json.JsonArray unprojectable = new io.vertx.core.json.JsonArray();
    for (int i = from; i < to; i++) {
      BsonDocument doc = docs.get(i);
      BsonValue id = doc.get("_id");
      chunkLast = id;
      try {
        String docId = DocIds.docId(id);
        Projection.Projected p = projection.project(doc);
        if (!p.clean()) {
          host.mismatches(entityName, docId, p.mismatches());
        }
        entries.add(new OplogEntry(Operation.Upsert, entityName, docId, p.data(), epoch));
      } catch (RuntimeException e) {
        // no retry could project it: skip it visibly instead of failing the scan forever
        unprojectable.add(new JsonObject().put("entity", entityName).put("doc_id", String.valueOf(BsonJson.toJsonValue(id)))
            .put("reason", "unprojectable: " + e));
      }
    }
    if (!unprojectable.isEmpty()) {
      host.rejected(sourceName(), unprojectable);
    }
    BsonValue newLast = chunkLast;
    int count = to - from;
    return window.submit(AppendBatch.scan(entityName, epoch, BsonJson.wrap(newLast), entries)).compose(ack -> {
      if (!ack.rejected().isEmpty()) {
        host.rejected(sourceName(), ack.rejected());
      }
      lastId = newLast;
      scanned += count;
      return appendChunks(docs, to);
    });
  }

  private String sourceName() {
    Entity e = host.entity(entityName);
    return e == null ? null : e.shape().sourceName();
  }

  private Future<Entity> step5End() {
    checkCancelled();
    step = "5/5 scan end";
    LOG.info("listener: scan of {} step 5/5: scan end (staged stream rows move behind the {} scan rows)", entityName, scanned);
    // a scan end moves staged rows and proven deletes in chunks: it may take minutes for millions of rows
    DeliveryOptions opts = new DeliveryOptions().setSendTimeout(Math.max(config.appendTimeoutMs(), SCAN_END_TIMEOUT_MS));
    return Bus.request(vertx.eventBus(), Addresses.OPLOG_SCAN_END, new ScanEndRequest(entityName, epoch), ScanEndReply.class, opts).map(reply -> {
      host.progress(entityName, scanned, estimated, true);
      LOG.info("listener: scan of {} done: {} documents, {} staged rows moved, entity {}", entityName, scanned, reply.moved(), reply.entity().status());
      return reply.entity();
    });
  }

  private void checkCancelled() {
    if (cancelled) {
      throw new CancellationException("scan of " + entityName + " cancelled");
    }
  }

  /** Documents after {@code last} in MongoDB's _id order, crossing type brackets ({@code $gt} stays within one). */
  static BsonDocument filterAfter(BsonValue last) {
    if (last == null) {
      return new BsonDocument();
    }
    BsonDocument gt = new BsonDocument("_id", new BsonDocument("$gt", last));
    int bracket = bracketOf(last.getBsonType());
    BsonArray later = new BsonArray();
    for (int i = bracket + 1; i < TYPE_BRACKETS.size(); i++) {
      TYPE_BRACKETS.get(i).forEach(alias -> later.add(new BsonString(alias)));
    }
    if (later.isEmpty()) {
      return gt;
    }
    BsonArray or = new BsonArray();
    or.add(gt);
    or.add(new BsonDocument("_id", new BsonDocument("$type", later)));
    return new BsonDocument("$or", or);
  }

  static int bracketOf(BsonType type) {
    return switch (type) {
      case MIN_KEY -> 0;
      case NULL, UNDEFINED -> 1;
      case INT32, INT64, DOUBLE, DECIMAL128 -> 2;
      case STRING, SYMBOL -> 3;
      case DOCUMENT -> 4;
      case BINARY -> 5;
      case OBJECT_ID -> 6;
      case BOOLEAN -> 7;
      case DATE_TIME -> 8;
      case TIMESTAMP -> 9;
      case REGULAR_EXPRESSION -> 10;
      case MAX_KEY -> 11;
      default -> 4;
    };
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("entity", entityName)
        .put("mode", mode.name().toLowerCase())
        .put("reason", reason)
        .put("step", step)
        .put("epoch", epoch)
        .put("scanned", scanned)
        .put("estimated_total", estimated)
        .put("last_id", lastId == null ? null : BsonJson.toJsonValue(lastId))
        .put("consecutive_errors", consecutiveErrors)
        .put("last_error", lastError);
  }
}
