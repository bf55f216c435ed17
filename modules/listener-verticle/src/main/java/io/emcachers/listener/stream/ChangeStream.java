package io.emcachers.listener.stream;

import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.retry.Backoff;
import io.emcachers.core.retry.Retrier;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One change stream (a watched collection, or the database-level stream {@code _db}) across its
 * reconnects: it keeps what outlives an attempt — the {@link ResumePosition}, the retry {@link
 * Backoff}, the watched collection list, the "open" waiters and the health counters — and runs one
 * {@link ChangeStreamAttempt} at a time. When an attempt fails, the next one starts after the
 * backoff delay and once the failed one settled, re-reading the committed token first. When the
 * position is unusable it is reset (the stream restarts at "now") and the owner re-scans the
 * stream's entities. Runs on the listener's context.
 */
final class ChangeStream implements ChangeStreamAttempt.Acks {

  private static final Logger LOG = LoggerFactory.getLogger(ChangeStream.class);

  enum State {
    NEW,
    OPENING,
    RUNNING,
    BACKOFF,
    STOPPED
  }

  private final StreamContext ctx;
  private final StreamHooks hooks;
  private final String name;
  private final String collection;
  private final ResumePosition position;
  private final Retrier retrier;
  private final boolean readCommittedFirst;
  private final List<Promise<Void>> openWaiters = new ArrayList<>();
  private List<String> dbCollections;
  private State state = State.NEW;
  private ChangeStreamAttempt current;
  private ChangeStreamAttempt previous;

  /** Opened since the position was last reset: a restart before any commit would skip events. */
  private boolean everOpened;

  private long restarts;
  private long eventsReadBefore;
  private long pollsBefore;
  private long lastSentAt;

  /**
   * @param collection the watched collection, or null for the database-level stream
   * @param readCommittedFirst a stream created while running (a collection that gets an entity
   *     again) resumes after what the oplog side committed for it, not at "now": its entities may
   *     be live and must not miss a change
   */
  ChangeStream(
      StreamContext ctx,
      String name,
      String collection,
      List<String> dbCollections,
      JsonObject storedToken,
      boolean readCommittedFirst) {
    this.ctx = ctx;
    this.hooks = ctx.hooks();
    this.name = name;
    this.collection = collection;
    this.dbCollections = dbCollections == null ? List.of() : List.copyOf(dbCollections);
    this.position = new ResumePosition(name, storedToken);
    this.readCommittedFirst = readCommittedFirst;
    this.retrier =
        new Retrier(
            ctx.vertx(),
            ctx.config().initialBackoffMs(),
            ctx.config().maxBackoffMs(),
            LOG,
            "listener: stream " + name);
  }

  String name() {
    return name;
  }

  /** The watched collection, or null for the database-level stream. */
  String collection() {
    return collection;
  }

  ResumePosition position() {
    return position;
  }

  State state() {
    return state;
  }

  /** Opens the first attempt (resuming after the stored token when there is one). */
  void start() {
    if (state == State.NEW) {
      launch(readCommittedFirst);
    }
  }

  /** Completes once an attempt's cursor is open, i.e. the server holds the stream's position. */
  Future<Void> whenOpen() {
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
  void watchCollections(List<String> collections) {
    if (collections.equals(dbCollections)) {
      return;
    }
    dbCollections = List.copyOf(collections);
    if (state == State.RUNNING || state == State.OPENING) {
      LOG.info(
          "listener: stream {} now watches {}; reopening from its last acked position",
          name,
          dbCollections);
      reopen();
    }
  }

  /**
   * Stops for good; unacked entries are dropped (they are re-read from the acked token next time).
   */
  void stop() {
    if (state == State.STOPPED) {
      return;
    }
    state = State.STOPPED;
    retrier.cancel();
    if (current != null) {
      retire(current);
    }
    position.discardUnacked();
    openWaiters.forEach(p -> p.tryFail("stream " + name + " stopped"));
    openWaiters.clear();
  }

  // ---- attempts ----

  private void launch(boolean resyncFirst) {
    ChangeStreamAttempt attempt =
        new ChangeStreamAttempt(ctx, this, name, collection, dbCollections, position, lastSentAt);
    current = attempt;
    state = State.OPENING;
    attempt
        .opened()
        .onSuccess(
            v -> {
              if (current == attempt) {
                state = State.RUNNING;
                everOpened = true;
                retrier.succeeded();
                openWaiters.forEach(Promise::tryComplete);
                openWaiters.clear();
              }
            });
    attempt
        .ended()
        .onFailure(
            cause -> {
              if (current == attempt) {
                retire(attempt);
                attemptFailed(cause);
              }
            });
    attempt.start(resyncFirst);
  }

  /** Ends {@code attempt} as the current one; a new one waits until it settled. */
  private void retire(ChangeStreamAttempt attempt) {
    attempt.stop();
    eventsReadBefore += attempt.eventsRead();
    pollsBefore += attempt.polls();
    lastSentAt = Math.max(lastSentAt, attempt.lastSentAt());
    previous = attempt;
    current = null;
    if (state != State.STOPPED) {
      state = State.BACKOFF;
    }
    position.discardUnacked();
  }

  private void attemptFailed(Throwable cause) {
    if (cause instanceof StreamErrors.PositionLost lost) {
      positionLost(lost.getCause());
      return;
    }
    restarts++;
    hooks.observer().failed(name, cause);
    retrier.retry(cause, "reopening from the last acked position", this::relaunch);
    if (uncommittedOpen()) {
      positionLost(
          new IllegalStateException(
              "change stream " + name + " restarted before its first position was committed"));
    }
  }

  /** Reopens at once without counting an error (new collection list, reset position). */
  private void reopen() {
    if (uncommittedOpen()) {
      positionLost(
          new IllegalStateException(
              "change stream " + name + " restarted before its first position was committed"));
      return;
    }
    if (current != null) {
      retire(current);
    }
    state = State.BACKOFF;
    retrier.schedule(0, this::relaunch);
  }

  /**
   * The stream was open at a position nothing was committed for: reopening at "now" would skip the
   * events in between, so its entities are re-scanned instead.
   */
  private boolean uncommittedOpen() {
    return everOpened && position.ackedToken() == null;
  }

  /** The stored position is unusable: forget it, restart at "now", and let the owner re-scan. */
  private void positionLost(Throwable cause) {
    position.reset();
    everOpened = false;
    if (state != State.STOPPED) {
      reopen();
    }
    hooks.positionLost().lost(name, collection, cause);
  }

  /**
   * Starts the next attempt once the previous one has no batch in flight (so no old batch commits
   * after a new one).
   */
  private void relaunch() {
    if (state != State.BACKOFF || current != null) {
      return;
    }
    Future<Void> settled = previous == null ? Future.succeededFuture() : previous.settled();
    settled.onComplete(
        v -> {
          if (state == State.BACKOFF && current == null) {
            launch(true);
          }
        });
  }

  @Override
  public void acked(AppendBatch batch, AppendResult result) {
    hooks.observer().acked(name, collection, batch, result);
  }

  @Override
  public void notLeader(Throwable cause) {
    if (state != State.STOPPED) {
      hooks.notLeader().accept(cause);
    }
  }

  JsonObject toJson() {
    int inFlight =
        (current == null ? 0 : current.inFlight()) + (previous == null ? 0 : previous.inFlight());
    return new JsonObject()
        .put("name", name)
        .put("collection", collection)
        .put("collections", collection == null ? dbCollections : null)
        .put("state", state.name().toLowerCase())
        .put("position", position.toJson())
        .put("buffered_entries", current == null ? 0 : current.buffered())
        .put("batches_in_flight", inFlight)
        .put("events_read", eventsReadBefore + (current == null ? 0 : current.eventsRead()))
        .put("polls", pollsBefore + (current == null ? 0 : current.polls()))
        .put("restarts", restarts)
        .put("consecutive_errors", retrier.consecutiveErrors())
        .put("last_error", retrier.lastError());
  }
}
