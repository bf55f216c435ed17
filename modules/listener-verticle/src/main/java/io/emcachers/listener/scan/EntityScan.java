package io.emcachers.listener.scan;

import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.ScanStateReply;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.projection.BsonJson;
import io.emcachers.core.retry.Retrier;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.CancellationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One requested scan of one entity, through the scan protocol's steps:
 *
 * <ol>
 *   <li>scan attempt: a new epoch (status scanning), or continue an attempt a restart interrupted
 *   <li>wait until the change stream of its collection is open (its position is then fixed, before
 *       any read)
 *   <li>pick the start: after the persisted last {@code _id} when continuing, else from the first
 *       document
 *   <li>read {@code _id}-ordered batches and append them through the backpressure window ({@link
 *       ScanReader})
 *   <li>scan end → live ({@link ScanOplog})
 * </ol>
 *
 * Meanwhile the entity is {@code scanning}, so its streamed entries are staged. A failed step is
 * retried with capped exponential backoff from the last acked batch ({@link ScanProgress} keeps the
 * steps already done). The run ends with a {@link ScanOutcome}.
 */
final class EntityScan {

  private static final Logger LOG = LoggerFactory.getLogger(EntityScan.class);

  private final ScanCollaborators with;
  private final ScanOplog oplog;
  private final String entityName;
  private final ScanQueue.Mode mode;
  private final String reason;
  private final Retrier retrier;
  private final ScanProgress progress = new ScanProgress();
  private final ScanReader reader;
  private final Promise<ScanOutcome> result = Promise.promise();
  private boolean cancelled;
  private String step = "queued";

  EntityScan(
      ScanCollaborators with,
      ScanOplog oplog,
      String entityName,
      ScanQueue.Mode mode,
      String reason) {
    this.with = with;
    this.oplog = oplog;
    this.entityName = entityName;
    this.mode = mode;
    this.reason = reason;
    this.retrier =
        new Retrier(
            with.vertx(),
            with.config().initialBackoffMs(),
            with.config().maxBackoffMs(),
            LOG,
            "listener: scan of " + entityName);
    this.reader = new ScanReader(with, entityName, progress, () -> cancelled);
  }

  String entityName() {
    return entityName;
  }

  /** Runs the scan; completes with its outcome (never fails). */
  Future<ScanOutcome> run() {
    LOG.info(
        "listener: scan of {} starting ({}, {})",
        entityName,
        mode == ScanQueue.Mode.CONTINUE ? "may continue" : "from start",
        reason);
    attempt();
    return result.future();
  }

  void cancel() {
    finish(new ScanOutcome.Stopped(entityName));
  }

  boolean cancelled() {
    return cancelled;
  }

  private void finish(ScanOutcome outcome) {
    if (!cancelled) {
      cancelled = true;
      retrier.cancel();
      result.tryComplete(outcome);
    }
  }

  private void attempt() {
    if (cancelled) {
      return;
    }
    Entity entity = with.entities().entity(entityName);
    if (entity == null) {
      cancel();
      return;
    }
    step1Attempt(entity)
        .compose(this::step2StreamOpen)
        .compose(this::step3Start)
        .compose(
            e -> {
              checkCancelled();
              step = "4/5 read";
              return reader.read(e.shape().sourceName());
            })
        .compose(v -> step5End())
        .onComplete(
            ar -> {
              if (cancelled) {
                return;
              }
              if (ar.succeeded()) {
                retrier.succeeded();
                finish(new ScanOutcome.Live(entityName, ar.result()));
              } else {
                failed(ar.cause());
              }
            });
  }

  private void failed(Throwable cause) {
    int code = Bus.codeOf(cause);
    if (code == ErrorCodes.NOT_LEADER) {
      finish(new ScanOutcome.NotLeader(entityName, cause));
    } else if (code == ErrorCodes.STALE) {
      LOG.info(
          "listener: scan of {} attempt {} superseded: {}",
          entityName,
          progress.epoch(),
          cause.getMessage());
      finish(new ScanOutcome.Superseded(entityName));
    } else if (code == ErrorCodes.NOT_FOUND || cause instanceof CancellationException) {
      LOG.info("listener: scan of {} stopped: {}", entityName, cause.getMessage());
      cancel();
    } else if (code == ErrorCodes.BAD_REQUEST || code == ErrorCodes.VALIDATION) {
      // the oplog side refused the request itself (not one document): the same request fails again
      LOG.error(
          "listener: scan of {} refused at step '{}' and no retry can fix it: {}",
          entityName,
          step,
          cause.getMessage());
      finish(new ScanOutcome.Refused(entityName, step + ": " + cause.getMessage()));
    } else {
      retrier.retry(cause, "retrying step '" + step + "' from the last acked batch", this::attempt);
    }
  }

  /**
   * Continues the entity's current attempt (its epoch) only when a restart interrupted it and the
   * stream resumed from a stored token, so staging and progress are gap-free; otherwise begins a
   * new attempt: a new epoch, start and progress, and nothing of an abandoned attempt is reused.
   */
  private Future<Entity> step1Attempt(Entity entity) {
    step = "1/5 scan attempt";
    if (progress.attemptChosen()) {
      return Future.succeededFuture(entity);
    }
    String collection = entity.shape().sourceName();
    if (mode == ScanQueue.Mode.CONTINUE
        && entity.status() == EntityStatus.scanning
        && entity.epoch() > 0
        && with.streams().continuous(collection)) {
      progress.attempt(entity.epoch(), true);
      LOG.info("listener: scan of {} step 1/5: continuing attempt {}", entityName, entity.epoch());
      return Future.succeededFuture(entity);
    }
    LOG.info(
        "listener: scan of {} step 1/5: new scan attempt (status {} -> scanning)",
        entityName,
        entity.status());
    return oplog
        .begin(entityName, reason)
        .map(
            e -> {
              with.entities().adopt(e);
              progress.attempt(e.epoch(), false);
              LOG.info("listener: scan of {} attempt {} begins", entityName, e.epoch());
              return e;
            });
  }

  private Future<Entity> step2StreamOpen(Entity entity) {
    checkCancelled();
    step = "2/5 stream open";
    String collection = entity.shape().sourceName();
    String stream = with.streams().streamOf(collection);
    if (stream == null) {
      return Future.failedFuture(new IllegalStateException("no change stream for " + collection));
    }
    LOG.info(
        "listener: scan of {} step 2/5: waiting for change stream {} to hold its position",
        entityName,
        stream);
    return with.streams().whenOpen(collection).map(v -> entity);
  }

  private Future<Entity> step3Start(Entity entity) {
    checkCancelled();
    step = "3/5 start position";
    if (progress.startChosen()) {
      return Future.succeededFuture(entity);
    }
    String collection = entity.shape().sourceName();
    Future<ScanStateReply> persisted =
        progress.continuing()
            ? oplog.state(entityName, progress.epoch())
            : Future.succeededFuture(null);
    return persisted.compose(
        reply ->
            with.source()
                .estimatedCount(collection)
                .otherwise(-1L)
                .map(
                    count -> {
                      progress.start(
                          reply == null ? null : BsonJson.unwrap(reply.lastId()),
                          reply == null ? 0 : reply.scanned(),
                          count == null ? -1 : count);
                      LOG.info(
                          "listener: scan of {} step 3/5: {} (about {} documents in {})",
                          entityName,
                          progress.lastId() == null
                              ? "from the first _id"
                              : "continuing after _id "
                                  + progress.lastIdJson()
                                  + " ("
                                  + progress.scanned()
                                  + " scanned before)",
                          progress.estimated(),
                          collection);
                      return entity;
                    }));
  }

  private Future<Entity> step5End() {
    checkCancelled();
    step = "5/5 scan end";
    LOG.info(
        "listener: scan of {} step 5/5: scan end (staged stream rows move behind the {} scan rows)",
        entityName,
        progress.scanned());
    return oplog
        .end(entityName, progress.epoch())
        .map(
            reply -> {
              with.reports().progress(entityName, progress.scanned(), progress.estimated(), true);
              LOG.info(
                  "listener: scan of {} done: {} documents, {} staged rows moved, entity {}",
                  entityName,
                  progress.scanned(),
                  reply.moved(),
                  reply.entity().status());
              return reply.entity();
            });
  }

  private void checkCancelled() {
    if (cancelled) {
      throw new CancellationException("scan of " + entityName + " cancelled");
    }
  }

  JsonObject toJson() {
    return new JsonObject()
        .put("entity", entityName)
        .put("mode", mode.name().toLowerCase())
        .put("reason", reason)
        .put("step", step)
        .put("epoch", progress.epoch())
        .put("scanned", progress.scanned())
        .put("estimated_total", progress.estimated())
        .put("last_id", progress.lastIdJson())
        .put("consecutive_errors", retrier.consecutiveErrors())
        .put("last_error", retrier.lastError());
  }
}
