package io.emcachers.listener.stream;

import com.mongodb.reactivestreams.client.ClientSession;
import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.messages.ResumeTokenReply;
import io.emcachers.core.messages.ResumeTokenRequest;
import io.emcachers.core.projection.BsonJson;
import io.emcachers.listener.ListenerConfig;
import io.emcachers.listener.flow.BatchWindow;
import io.emcachers.listener.mongo.MongoSource;
import io.emcachers.listener.offset.ResumePosition;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.bson.BsonDocument;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The streaming side for one change stream (one watched collection, or the database-level stream):
 * reads bounded batches of events with {@code getMore} only while the {@link BatchWindow} has room,
 * turns each event into oplog entries (through {@link Callbacks#route}), groups them into append
 * batches of at most N entries or T ms, and advances its {@link ResumePosition} through acks.
 * A failure closes the cursor, discards what was not acked, and reopens from the last acked token
 * after a capped exponential backoff (once the batches still in flight have settled). All methods
 * run on the listener's context.
 */
public final class CollectionStream {

  private static final Logger LOG = LoggerFactory.getLogger(CollectionStream.class);

  /** What the stream needs from the listener. */
  public interface Callbacks {
    /** The oplog entries of one event (fan-out to every entity of its collection, projected). */
    List<OplogEntry> route(CollectionStream stream, ChangeEvent event);

    /** The stored position is unusable (invalid token, history lost, invalidate event). */
    void positionLost(CollectionStream stream, Throwable cause);

    /** The oplog side answered NOT_LEADER: this node must stop streaming. */
    void notLeader(Throwable cause);

    /** A failure that makes the stream reconnect (health, metrics). */
    void streamError(CollectionStream stream, Throwable cause);

    /** A batch was acked. */
    void acked(CollectionStream stream, AppendBatch batch, AppendResult result);
  }

  public enum State { NEW, OPENING, RUNNING, BACKOFF, STOPPED }

  private final Vertx vertx;
  private final ListenerConfig config;
  private final MongoSource source;
  private final BatchWindow window;
  private final Callbacks callbacks;
  private final String name;
  private final String collection;
  private List<String> dbCollections;
  private final ResumePosition position;
  private final Runnable roomListener = this::poll;

  private State state = State.NEW;
  private long epoch;
  private ChangeStreamCursor cursor;
  private boolean polling;
  private List<OplogEntry> buffer = new ArrayList<>();
  private JsonObject bufferToken;
  private boolean tokenDirty;
  private long flushTimer = -1;
  private long retryTimer = -1;
  private long idleTimer = -1;
  private int inFlight;
  private boolean reopenWhenSettled;
  private int consecutiveErrors;
  private String lastError;
  private long restarts;
  private long eventsRead;
  private long lastAppendAt;
  private boolean everOpened;
  private boolean resyncBeforeOpen;
  private final List<Promise<Void>> openWaiters = new ArrayList<>();

  public CollectionStream(Vertx vertx, ListenerConfig config, MongoSource source, BatchWindow window, Callbacks callbacks,
                          String name, String collection, List<String> dbCollections, JsonObject storedToken, boolean readCommittedFirst) {
    this.vertx = vertx;
    this.config = config;
    this.source = source;
    this.window = window;
    this.callbacks = callbacks;
    this.name = name;
    this.collection = collection;
    this.dbCollections = dbCollections == null ? List.of() : List.copyOf(dbCollections);
    this.position = new ResumePosition(name, storedToken);
    // a stream created while running (a collection that gets an entity again) resumes after what the
    // oplog side committed for it, not at "now": its entities may be live and must not miss a change
    this.resyncBeforeOpen = readCommittedFirst;
    window.onRoom(roomListener);
  }

  public String name() {
    return name;
  }

  /** The watched collection, or null for the database-level stream. */
  public String collection() {
    return collection;
  }

  public ResumePosition position() {
    return position;
  }

  public State state() {
    return state;
  }

  /** Opens the cursor (resuming after the stored token when there is one). */
  public void start() {
    if (state == State.NEW) {
      open();
    }
  }

  /** Completes once the cursor is open, i.e. the server holds the stream's position. */
  public Future<Void> whenOpen() {
    if (state == State.RUNNING) {
      return Future.succeededFuture();
    }
    if (state == State.STOPPED) {
      return Future.failedFuture(new IllegalStateException("stream " + name + " stopped"));
    }
    Promise<Void> p = Promise.promise();
    openWaiters.add(p);
    return p.future();
  }

  /** Database scope: watch another set of collections (reopens from the last acked token). */
  public void watchCollections(List<String> collections) {
    if (collections.equals(dbCollections)) {
      return;
    }
    dbCollections = List.copyOf(collections);
    if (state == State.RUNNING || state == State.OPENING) {
      LOG.info("listener: stream {} now watches {}; reopening from its last acked position", name, dbCollections);
      restartAfter(0);
    }
  }

  public List<String> dbCollections() {
    return dbCollections;
  }

  /** The stored position is gone: forget it, start at "now" (the caller re-scans the entities). */
  public void resetPosition() {
    position.reset();
    everOpened = false;
    if (state != State.STOPPED) {
      restartAfter(0);
    }
  }

  /** Stops reading for good; unacked entries are dropped (they are re-read from the acked token next time). */
  public void stop() {
    if (state == State.STOPPED) {
      return;
    }
    state = State.STOPPED;
    epoch++;
    cancelTimers();
    window.removeRoomListener(roomListener);
    buffer = new ArrayList<>();
    bufferToken = null;
    tokenDirty = false;
    position.discardUnacked();
    closeCursor();
    openWaiters.forEach(p -> p.tryFail("stream " + name + " stopped"));
    openWaiters.clear();
  }

  // ---- opening ----

  private void open() {
    state = State.OPENING;
    long myEpoch = ++epoch;
    if (resyncBeforeOpen) {
      // after a failure the in-memory position may be ahead of what committed: drop it and re-read the committed token
      Bus.request(vertx.eventBus(), Addresses.OPLOG_RESUME_TOKEN, new ResumeTokenRequest(), ResumeTokenReply.class).onComplete(ar -> {
        if (myEpoch != epoch || state == State.STOPPED) {
          return;
        }
        if (ar.failed()) {
          fail(ar.cause());
          return;
        }
        resyncBeforeOpen = false;
        position.resync(ar.result().tokenFor(name));
        openCursor(myEpoch);
      });
    } else {
      openCursor(myEpoch);
    }
  }

  private void openCursor(long myEpoch) {
    BsonDocument resumeAfter = position.resumeAfter();
    source.session()
        .compose((ClientSession session) -> ChangeStreamCursor.open(source, session, collection, dbCollections, resumeAfter, config.batchMaxEntries()))
        .onComplete(ar -> {
          if (myEpoch != epoch || state == State.STOPPED) {
            if (ar.succeeded()) {
              ar.result().cursor().close();
            }
            return;
          }
          if (ar.failed()) {
            if (resumeAfter != null && StreamErrors.resumeRejected(ar.cause())) {
              LOG.warn("listener: stream {} cannot resume after its stored token: {}", name, ar.cause().toString());
              callbacks.positionLost(this, ar.cause());
            } else {
              fail(ar.cause());
            }
            return;
          }
          cursor = ar.result().cursor();
          state = State.RUNNING;
          everOpened = true;
          if (consecutiveErrors > 0) {
            LOG.info("listener: stream {} recovered after {} consecutive error(s)", name, consecutiveErrors);
            consecutiveErrors = 0;
          }
          LOG.info("listener: stream {} open ({})", name, resumeAfter == null ? "from now" : "resuming after stored token");
          openWaiters.forEach(Promise::tryComplete);
          openWaiters.clear();
          onBatch(myEpoch, ar.result().firstBatch(), 0);
        });
  }

  // ---- reading ----

  private void poll() {
    if (state != State.RUNNING || polling || idleTimer >= 0 || !window.hasRoom() || buffer.size() >= config.batchMaxEntries()) {
      return;
    }
    polling = true;
    long myEpoch = epoch;
    long started = System.nanoTime();
    cursor.next(config.batchMaxEntries(), config.streamAwaitMs()).onComplete(ar -> {
      if (myEpoch != epoch || state != State.RUNNING) {
        return;
      }
      polling = false;
      if (ar.failed()) {
        if (StreamErrors.positionLost(ar.cause())) {
          callbacks.positionLost(this, ar.cause());
        } else {
          fail(ar.cause());
        }
        return;
      }
      onBatch(myEpoch, ar.result(), (System.nanoTime() - started) / 1_000_000);
    });
  }

  private void onBatch(long myEpoch, ChangeStreamCursor.Batch batch, long tookMs) {
    for (BsonDocument raw : batch.events()) {
      if (myEpoch != epoch || state != State.RUNNING) {
        return;
      }
      ChangeEvent event = ChangeEvent.parse(raw, collection);
      eventsRead++;
      if (ChangeEvent.INVALIDATE.equals(event.operationType())) {
        LOG.warn("listener: stream {} invalidated (collection dropped or renamed)", name);
        callbacks.positionLost(this, new IllegalStateException("change stream " + name + " invalidated"));
        return;
      }
      List<OplogEntry> entries = callbacks.route(this, event);
      if (!buffer.isEmpty() && buffer.size() + entries.size() > config.batchMaxEntries()) {
        flush();
      }
      buffer.addAll(entries);
      if (event.token() != null) {
        bufferToken = BsonJson.toJsonObject(event.token());
        tokenDirty = true;
      }
      if (buffer.size() >= config.batchMaxEntries()) {
        flush();
      }
    }
    if (batch.events().isEmpty() && batch.postBatchResumeToken() != null) {
      JsonObject pbrt = BsonJson.toJsonObject(batch.postBatchResumeToken());
      if (!pbrt.equals(bufferToken) && !pbrt.equals(position.ackedToken())) {
        bufferToken = pbrt;
        tokenDirty = true;
      }
    }
    if (batch.exhausted()) {
      fail(new IllegalStateException("change stream " + name + " cursor closed by the server"));
      return;
    }
    if (!buffer.isEmpty()) {
      // Nagle-style: with nothing in flight, the getMore just returned all there is, so send now;
      // while batches are in flight, keep filling this one for up to batch_max_delay_ms.
      if (inFlight == 0) {
        flush();
      } else {
        armFlushTimer();
      }
    } else if (tokenDirty && inFlight == 0 && System.currentTimeMillis() - lastAppendAt >= config.checkpointIntervalMs()) {
      flush(); // idle checkpoint: persist the position without entries
    }
    if (batch.events().isEmpty() && tookMs < config.streamAwaitMs() / 2) {
      // the server did not wait for data (e.g. the wire-protocol test server): poll again a bit later
      idleTimer = vertx.setTimer(config.idlePollMs(), t -> {
        idleTimer = -1;
        poll();
      });
    } else {
      poll();
    }
  }

  // ---- batching and acks ----

  private void armFlushTimer() {
    if (flushTimer < 0) {
      flushTimer = vertx.setTimer(config.batchMaxDelayMs(), t -> {
        flushTimer = -1;
        flush();
        poll();
      });
    }
  }

  private void flush() {
    if (flushTimer >= 0) {
      vertx.cancelTimer(flushTimer);
      flushTimer = -1;
    }
    if (state != State.RUNNING || (buffer.isEmpty() && !tokenDirty)) {
      return;
    }
    AppendBatch batch = AppendBatch.streamAfter(name, position.expectedNext(), tokenDirty ? bufferToken : null, buffer);
    buffer = new ArrayList<>();
    tokenDirty = false;
    ResumePosition.Pending pending = position.sent(batch.resumeToken());
    long myEpoch = epoch;
    inFlight++;
    lastAppendAt = System.currentTimeMillis();
    window.submit(batch).onComplete(ar -> onAck(myEpoch, pending, batch, ar));
  }

  private void onAck(long myEpoch, ResumePosition.Pending pending, AppendBatch batch, AsyncResult<AppendResult> ar) {
    inFlight--;
    if (ar.succeeded()) {
      position.acked(pending);
      callbacks.acked(this, batch, ar.result());
    } else if (state != State.STOPPED) {
      if (Bus.codeOf(ar.cause()) == ErrorCodes.NOT_LEADER) {
        callbacks.notLeader(ar.cause());
      } else if (myEpoch == epoch) {
        fail(ar.cause());
      }
    }
    if (inFlight == 0 && reopenWhenSettled && state == State.BACKOFF && retryTimer < 0) {
      reopenWhenSettled = false;
      open();
    } else {
      poll();
    }
  }

  // ---- failures ----

  private void fail(Throwable cause) {
    if (state == State.STOPPED) {
      return;
    }
    consecutiveErrors++;
    restarts++;
    lastError = cause.toString();
    callbacks.streamError(this, cause);
    long delay = config.backoffMs(consecutiveErrors);
    LOG.warn("listener: stream {} failed ({} consecutive): {}; reopening from the last acked position in {} ms",
        name, consecutiveErrors, cause.toString(), delay);
    restartAfter(delay);
  }

  private void restartAfter(long delayMs) {
    if (everOpened && position.ackedToken() == null) {
      // the stream was open at a position nothing was committed for: reopening at "now" would skip
      // the events in between, so its entities are re-scanned instead
      everOpened = false;
      callbacks.positionLost(this, new IllegalStateException("change stream " + name + " restarted before its first position was committed"));
      return;
    }
    epoch++;
    state = State.BACKOFF;
    resyncBeforeOpen = true;
    polling = false;
    cancelTimers();
    buffer = new ArrayList<>();
    bufferToken = null;
    tokenDirty = false;
    position.discardUnacked();
    closeCursor();
    Runnable reopen = () -> {
      retryTimer = -1;
      if (state != State.BACKOFF) {
        return;
      }
      if (inFlight > 0) {
        reopenWhenSettled = true; // wait until the old batches settle, so no old batch commits after a new one
      } else {
        open();
      }
    };
    if (delayMs <= 0) {
      reopen.run();
    } else {
      retryTimer = vertx.setTimer(delayMs, t -> reopen.run());
    }
  }

  private void closeCursor() {
    if (cursor != null) {
      cursor.close();
      cursor = null;
    }
  }

  private void cancelTimers() {
    for (long t : new long[] {flushTimer, retryTimer, idleTimer}) {
      if (t >= 0) {
        vertx.cancelTimer(t);
      }
    }
    flushTimer = -1;
    retryTimer = -1;
    idleTimer = -1;
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("name", name)
        .put("collection", collection)
        .put("collections", collection == null ? dbCollections : null)
        .put("state", state.name().toLowerCase())
        .put("position", position.toJson())
        .put("buffered_entries", buffer.size())
        .put("batches_in_flight", inFlight)
        .put("events_read", eventsRead)
        .put("restarts", restarts)
        .put("consecutive_errors", consecutiveErrors)
        .put("last_error", lastError);
  }
}
