package io.emcachers.api.changes;

import io.emcachers.api.BusClient;
import io.emcachers.api.errors.ApiException;
import io.emcachers.core.bus.Addresses;
import io.emcachers.core.messages.ClusterTimeReply;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.ReplicatorApplied;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * Read-your-writes: {@code GET /api/cache/{entity}/wait} completes once this node's cache of the
 * entity reflects every source change up to a MongoDB cluster time T (or every oplog row up to an
 * id). Two steps, each woken by a publish, never by a timer:
 *
 * <ol>
 *   <li><b>Target oplog id.</b> {@code emc.oplog.cluster-time} reads, in one snapshot, the entity's
 *       status, the committed cluster-time high-water mark of the change stream that feeds it and
 *       the oplog head. The mark is written in the same transaction as the stream's resume token,
 *       so once it is at or above T every change of that stream up to T is committed; with the
 *       entity {@code live} (or {@code failed}) they are oplog rows (not staged), at ids up to the
 *       head of that same snapshot: the target. Until then the wait re-reads on every {@code
 *       emc.oplog.appended} (published after each commit that wrote rows or moved a stream's mark).
 *       With {@code oplog_id=N}, N is the target.
 *   <li><b>Applied.</b> The replicator's local stats give the node offset and the cache's last
 *       applied id; the cache holds every row up to {@code max(offset, last_applied_id)} (offsets
 *       are committed after every cache of the batch). The wait returns once that reaches the
 *       target, re-checking on every {@code emc.replicator.applied} (node-local, after each batch).
 * </ol>
 *
 * A timeout answers 408 {@code wait_timeout} naming the step it stopped at.
 */
public final class CacheWait {

  private final Vertx vertx;
  private final BusClient bus;
  private final Watermark heads;
  private final Watermark applied;

  public CacheWait(Vertx vertx, BusClient bus, Watermark heads) {
    this.vertx = vertx;
    this.bus = bus;
    this.heads = heads;
    this.applied =
        new Watermark(
            vertx,
            Addresses.REPLICATOR_APPLIED,
            b -> b instanceof ReplicatorApplied a ? a.offset() : -1);
  }

  public Future<Void> start() {
    return applied.start(true);
  }

  public Future<Void> stop() {
    return applied.stop();
  }

  /** A wait in progress; cancel it when the client goes away. */
  public interface Wait {
    Future<JsonObject> result();

    void cancel();
  }

  /** Exactly one of {@code clusterTime} and {@code oplogId} is non-null. */
  public Wait await(String entity, Long clusterTime, Long oplogId, long timeoutMs) {
    State s = new State(entity, clusterTime, oplogId, timeoutMs);
    s.begin();
    return s;
  }

  /** Formats a cluster time as {@code seconds.increment}. */
  public static String format(long clusterTime) {
    return (clusterTime >>> 32) + "." + (clusterTime & 0xffff_ffffL);
  }

  private final class State implements Wait {
    final String entity;
    final Long clusterTime;
    final long started = System.nanoTime();
    final Promise<JsonObject> promise = Promise.promise();
    long target = -1;
    long covered = -1;
    ClusterTimeReply position;
    boolean held;
    boolean done;
    long timer;
    Watermark.Waiter waiter;

    State(String entity, Long clusterTime, Long oplogId, long timeoutMs) {
      this.entity = entity;
      this.clusterTime = clusterTime;
      if (oplogId != null) {
        target = oplogId;
      }
      timer = vertx.setTimer(timeoutMs, t -> timedOut(timeoutMs));
    }

    void begin() {
      if (target >= 0) {
        bus.entities().get(entity).onSuccess(e -> checkApplied()).onFailure(this::fail);
      } else {
        readPosition();
      }
    }

    void readPosition() {
      waiter = null;
      if (done) {
        return;
      }
      bus.oplog()
          .clusterTime(entity)
          .onFailure(this::fail)
          .onSuccess(
              r -> {
                if (done) {
                  return;
                }
                position = r;
                heads.raise(r.headId());
                boolean inOplog = "live".equals(r.status()) || "failed".equals(r.status());
                if (inOplog && r.clusterTime() != null && r.clusterTime() >= clusterTime) {
                  target = r.headId();
                  checkApplied();
                } else {
                  waiter = heads.await(r.headId(), this::readPosition);
                }
              });
    }

    void checkApplied() {
      waiter = null;
      if (done) {
        return;
      }
      bus.replicator()
          .stats()
          .onFailure(this::fail)
          .onSuccess(
              stats -> {
                if (done) {
                  return;
                }
                long offset = offsetOf(stats);
                applied.raise(offset);
                JsonObject e =
                    stats.details() == null
                        ? null
                        : stats
                            .details()
                            .getJsonObject("entities", new JsonObject())
                            .getJsonObject(entity);
                held = e != null;
                covered = Math.max(offset, e == null ? -1 : e.getLong("last_applied_id", 0L));
                if (held && covered >= target) {
                  finish();
                  return;
                }
                // the node offset reaching the target wakes this; a cache not held yet re-checks
                // on the next batch
                long above = held ? target - 1 : Math.max(applied.value(), offset);
                waiter = applied.await(above, this::checkApplied);
              });
    }

    long offsetOf(HealthReply stats) {
      return stats.details() == null ? -1 : stats.details().getLong("offset", -1L);
    }

    void finish() {
      JsonObject body =
          new JsonObject()
              .put("entity", entity)
              .put("reached", true)
              .put("oplog_id", target)
              .put("applied_oplog_id", covered)
              .put("waited_ms", (System.nanoTime() - started) / 1_000_000);
      if (clusterTime != null) {
        body.put("cluster_time", format(clusterTime))
            .put("stream", position.stream())
            .put("high_water", format(position.clusterTime()));
      }
      end();
      promise.tryComplete(body);
    }

    void timedOut(long timeoutMs) {
      if (done) {
        return;
      }
      JsonObject details = new JsonObject().put("entity", entity).put("timeout_ms", timeoutMs);
      String why;
      if (target < 0) {
        details
            .put("step", "source_position")
            .put("cluster_time", format(clusterTime))
            .put("status", position == null ? null : position.status())
            .put("stream", position == null ? null : position.stream())
            .put(
                "high_water",
                position == null || position.clusterTime() == null
                    ? null
                    : format(position.clusterTime()));
        if (position != null && position.clusterTime() == null) {
          why =
              "no source cluster time is recorded for the change stream of "
                  + entity
                  + " (the source gives none, or nothing was streamed since): wait with oplog_id"
                  + " instead";
        } else if (position != null
            && !"live".equals(position.status())
            && !"failed".equals(position.status())) {
          why = "the entity is " + position.status() + ", not live yet";
        } else {
          why =
              "the change stream of "
                  + entity
                  + " has not committed cluster time "
                  + format(clusterTime)
                  + " yet";
        }
      } else {
        details
            .put("step", "cache_applied")
            .put("oplog_id", target)
            .put("applied_oplog_id", covered)
            .put("held", held);
        why =
            held
                ? "this node's cache of " + entity + " has not applied oplog id " + target + " yet"
                : "this node holds no cache of " + entity;
      }
      end();
      promise.tryFail(new ApiException(408, "wait_timeout", why, details));
    }

    void fail(Throwable t) {
      end();
      promise.tryFail(t);
    }

    void end() {
      done = true;
      vertx.cancelTimer(timer);
      if (waiter != null) {
        waiter.cancel();
        waiter = null;
      }
    }

    @Override
    public Future<JsonObject> result() {
      return promise.future();
    }

    @Override
    public void cancel() {
      end();
    }
  }
}
