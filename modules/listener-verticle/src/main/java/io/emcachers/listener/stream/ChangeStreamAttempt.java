package io.emcachers.listener.stream;

import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.projection.BsonJson;
import io.emcachers.listener.ListenerConfig;
import io.emcachers.listener.flow.BatchWindow;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.List;
import org.bson.BsonDocument;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt at streaming, used once: (re-reads the committed token,) opens the change stream,
 * then pumps bounded {@code getMore} batches only while the {@link BatchWindow} has room, routes
 * each event to entries, batches them ({@link StreamBatcher}) and advances the shared {@link
 * ResumePosition} through acks. It ends once: {@link #ended()} fails with the cause ({@link
 * StreamErrors.PositionLost} when the stored position is unusable), or succeeds when {@link
 * #stop()}ped. Its owner ({@link ChangeStream}) retries by creating a new attempt once this one has
 * {@link #settled()} (no batch of it still in flight), so an old batch never commits after a new
 * one. Every callback after the end is ignored through {@link #ended}; acks still count. Runs on
 * the listener's context. Size: google-java-format's 100 columns make it longer than 300 lines; it
 * stays one class because it is one state machine (finished, polling, timers, inFlight) every
 * method reads.
 */
final class ChangeStreamAttempt {

  private static final Logger LOG = LoggerFactory.getLogger(ChangeStreamAttempt.class);

  /** Where acks go (the owner's, so acks of an ended attempt still count). */
  interface Acks {
    void acked(AppendBatch batch, AppendResult result);

    void notLeader(Throwable cause);
  }

  private final Vertx vertx;
  private final ListenerConfig config;
  private final Clock clock;
  private final BatchWindow window;
  private final StreamContext ctx;
  private final Acks acks;
  private final String name;
  private final String collection;
  private final List<String> dbCollections;
  private final ResumePosition position;
  private final StreamBatcher batcher;
  private final Runnable roomListener = this::poll;
  private final Promise<Void> opened = Promise.promise();
  private final Promise<Void> ended = Promise.promise();
  private final Promise<Void> settled = Promise.promise();

  private boolean finished;
  private ChangeSource.Cursor cursor;
  private boolean polling;
  private long flushTimer = -1;
  private long idleTimer = -1;
  private int inFlight;
  private long eventsRead;
  private long polls;
  private int idlePolls;

  ChangeStreamAttempt(
      StreamContext ctx,
      Acks acks,
      String name,
      String collection,
      List<String> dbCollections,
      ResumePosition position,
      long lastSentAt) {
    this.ctx = ctx;
    this.vertx = ctx.vertx();
    this.config = ctx.config();
    this.clock = ctx.clock();
    this.window = ctx.window();
    this.acks = acks;
    this.name = name;
    this.collection = collection;
    this.dbCollections = dbCollections;
    this.position = position;
    this.batcher =
        new StreamBatcher(
            config.batchMaxEntries(), config.checkpointIntervalMs(), clock, lastSentAt);
  }

  /** Completes once the cursor is open: the server holds the stream's position. */
  Future<Void> opened() {
    return opened.future();
  }

  /** Fails with the cause of the end, or succeeds when stopped. */
  Future<Void> ended() {
    return ended.future();
  }

  /** Completes once the attempt ended and none of its batches is in flight. */
  Future<Void> settled() {
    return settled.future();
  }

  /**
   * Starts the attempt. {@code resyncFirst}: after a failure the in-memory position may be ahead of
   * what committed, so the committed token is re-read first ({@code emc.oplog.resume-token}).
   */
  void start(boolean resyncFirst) {
    window.onRoom(roomListener);
    if (!resyncFirst) {
      openCursor();
      return;
    }
    ctx.oplog()
        .resumeToken()
        .onComplete(
            ar -> {
              if (finished) {
                return;
              }
              if (ar.failed()) {
                end(ar.cause());
                return;
              }
              position.resync(ar.result().tokenFor(name));
              openCursor();
            });
  }

  /** Ends the attempt without a failure; what was not acked is dropped. */
  void stop() {
    end(null);
  }

  /** The one end of the attempt: {@code cause} null when stopped. */
  private void end(Throwable cause) {
    if (finished) {
      return;
    }
    finished = true;
    for (long t : new long[] {flushTimer, idleTimer}) {
      if (t >= 0) {
        vertx.cancelTimer(t);
      }
    }
    window.removeRoomListener(roomListener);
    batcher.clear();
    if (cursor != null) {
      cursor.close();
      cursor = null;
    }
    if (inFlight == 0) {
      settled.tryComplete();
    }
    if (cause == null) {
      ended.tryComplete();
    } else {
      ended.tryFail(cause);
    }
  }

  private void openCursor() {
    BsonDocument resumeAfter = position.resumeAfter();
    ctx.changes()
        .open(collection, dbCollections, resumeAfter, config.batchMaxEntries())
        .onComplete(
            ar -> {
              if (finished) {
                if (ar.succeeded()) {
                  ar.result().cursor().close();
                }
                return;
              }
              if (ar.failed()) {
                if (resumeAfter != null && StreamErrors.resumeRejected(ar.cause())) {
                  LOG.warn(
                      "listener: stream {} cannot resume after its stored token: {}",
                      name,
                      ar.cause().toString());
                  end(new StreamErrors.PositionLost(ar.cause()));
                } else {
                  end(ar.cause());
                }
                return;
              }
              cursor = ar.result().cursor();
              LOG.info(
                  "listener: stream {} open ({})",
                  name,
                  resumeAfter == null ? "from now" : "resuming after stored token");
              opened.tryComplete();
              if (!finished) {
                onBatch(ar.result().firstBatch(), 0);
              }
            });
  }

  private void poll() {
    if (finished
        || cursor == null
        || polling
        || idleTimer >= 0
        || !window.hasRoom()
        || batcher.size() >= config.batchMaxEntries()) {
      return;
    }
    polling = true;
    polls++;
    long started = clock.millis();
    cursor
        .next(config.batchMaxEntries(), config.streamAwaitMs())
        .onComplete(
            ar -> {
              if (finished) {
                return;
              }
              polling = false;
              if (ar.failed()) {
                end(
                    StreamErrors.positionLost(ar.cause())
                        ? new StreamErrors.PositionLost(ar.cause())
                        : ar.cause());
                return;
              }
              onBatch(ar.result(), clock.millis() - started);
            });
  }

  private void onBatch(ChangeSource.Batch batch, long tookMs) {
    if (!batch.events().isEmpty()) {
      idlePolls = 0;
    }
    for (BsonDocument raw : batch.events()) {
      if (finished) {
        return;
      }
      ChangeEvent event = ChangeEvent.parse(raw, collection);
      eventsRead++;
      if (ChangeEvent.INVALIDATE.equals(event.operationType())) {
        LOG.warn("listener: stream {} invalidated (collection dropped or renamed)", name);
        end(
            new StreamErrors.PositionLost(
                new IllegalStateException("change stream " + name + " invalidated")));
        return;
      }
      List<OplogEntry> entries = ctx.hooks().router().route(event);
      if (batcher.wouldOverflow(entries.size())) {
        flush();
      }
      batcher.add(
          entries,
          event.token() == null ? null : BsonJson.toJsonObject(event.token()),
          event.clusterTime());
      if (batcher.full()) {
        flush();
      }
    }
    if (finished) {
      return;
    }
    if (batch.events().isEmpty() && batch.postBatchResumeToken() != null) {
      batcher.idleToken(BsonJson.toJsonObject(batch.postBatchResumeToken()), position.ackedToken());
    }
    if (batch.exhausted()) {
      end(new IllegalStateException("change stream " + name + " cursor closed by the server"));
      return;
    }
    if (!batcher.isEmpty()) {
      // Nagle-style: with nothing in flight, the getMore just returned all there is, so send now;
      // while batches are in flight, keep filling this one for up to batch_max_delay_ms.
      if (inFlight == 0) {
        flush();
      } else if (flushTimer < 0) {
        flushTimer =
            vertx.setTimer(
                config.batchMaxDelayMs(),
                t -> {
                  flushTimer = -1;
                  flush();
                  poll();
                });
      }
    } else if (inFlight == 0 && batcher.checkpointDue()) {
      flush(); // idle checkpoint: persist the position without entries
    }
    if (batch.events().isEmpty() && tookMs < config.streamAwaitMs() / 2) {
      // the server did not wait for data (e.g. the wire-protocol test server): poll again later,
      // backing off while the stream stays idle (idle_poll_ms doubling up to half of
      // stream_await_ms; a server that awaits data answers after stream_await_ms), so N idle
      // streams do not poll the source N x 20 times a second
      idleTimer =
          vertx.setTimer(
              idleDelayMs(idlePolls++),
              t -> {
                idleTimer = -1;
                poll();
              });
    } else {
      poll();
    }
  }

  /**
   * The pause before the next poll after {@code idle} consecutive empty batches the source returned
   * without waiting: {@code idle_poll_ms}, doubling, at most half of {@code stream_await_ms} (never
   * below {@code idle_poll_ms}). The first change after an idle time T waits at most about T more.
   */
  long idleDelayMs(int idle) {
    long base = config.idlePollMs();
    long cap = Math.max(base, config.streamAwaitMs() / 2);
    return idle >= 20 ? cap : Math.min(cap, base << idle);
  }

  private void flush() {
    if (flushTimer >= 0) {
      vertx.cancelTimer(flushTimer);
      flushTimer = -1;
    }
    if (finished || !batcher.hasContent()) {
      return;
    }
    StreamBatcher.Taken taken = batcher.take();
    AppendBatch batch =
        AppendBatch.streamAfter(name, position.expectedNext(), taken.token(), taken.entries())
            .withClusterTime(taken.clusterTime());
    ResumePosition.Pending pending = position.sent(batch.resumeToken());
    inFlight++;
    window.submit(batch).onComplete(ar -> onAck(pending, batch, ar));
  }

  private void onAck(
      ResumePosition.Pending pending, AppendBatch batch, AsyncResult<AppendResult> ar) {
    inFlight--;
    if (ar.succeeded()) {
      position.acked(pending);
      acks.acked(batch, ar.result());
      if (inFlight == 0 && !finished && !batcher.isEmpty()) {
        // what arrived while the batch was in flight goes now, not after the next read or the
        // batch_max_delay_ms timer (the same Nagle rule as after a read)
        flush();
      }
    } else if (Bus.codeOf(ar.cause()) == ErrorCodes.NOT_LEADER) {
      acks.notLeader(ar.cause());
    } else {
      end(ar.cause());
    }
    if (finished && inFlight == 0) {
      settled.tryComplete();
    } else {
      poll();
    }
  }

  int inFlight() {
    return inFlight;
  }

  int buffered() {
    return batcher.size();
  }

  long eventsRead() {
    return eventsRead;
  }

  /** getMore requests (or a synthetic source's equivalent) this attempt sent. */
  long polls() {
    return polls;
  }

  long lastSentAt() {
    return batcher.lastTakenAt();
  }
}
