package io.emcachers.api.changes;

import io.emcachers.api.BusClient;
import io.emcachers.api.errors.ApiException;
import io.emcachers.core.messages.OplogReadReply;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The JSON form of the change feed: one read of an entity's changes after an id ({@code
 * emc.oplog.read}), and with {@code live} a long-poll: when nothing is there yet, it waits for
 * {@code emc.oplog.appended} to pass the head it read, reads again, and answers as soon as a change
 * of the entity is there — or with no changes when the timeout passes. The streaming forms share
 * the read ({@link ChangePump}).
 */
public final class ChangeReads {

  private final Vertx vertx;
  private final BusClient bus;
  private final Watermark heads;

  public ChangeReads(Vertx vertx, BusClient bus, Watermark heads) {
    this.vertx = vertx;
    this.bus = bus;
    this.heads = heads;
  }

  /** A long-poll in progress; {@link #cancel()} it when the client goes away. */
  public interface Poll {
    Future<JsonObject> result();

    void cancel();
  }

  /** The text of 410 {@code compacted} for the feed: what the client does next. */
  public static String compactedMessage(String entity, long after, String detail) {
    return "changes of "
        + entity
        + " after id "
        + after
        + " were compacted away ("
        + detail
        + "). Re-read the entity's current state (GET /api/oplogs/"
        + entity
        + "?after=0&compacted=true, paging to its next_after, or the cache itself), then follow"
        + " the feed from that next_after";
  }

  /** Reads once ({@code live} false) or long-polls up to {@code timeoutMs}. */
  public Poll read(String entity, long after, int limit, boolean live, long timeoutMs) {
    Promise<JsonObject> promise = Promise.promise();
    PollState state = new PollState(entity, after, limit, live, promise);
    if (live) {
      state.timer =
          vertx.setTimer(
              timeoutMs,
              t -> {
                state.timer = -1;
                state.finish(empty(entity, after, heads.value(), true));
              });
    }
    state.attempt();
    return state;
  }

  private final class PollState implements Poll {
    final String entity;
    final long after;
    final int limit;
    final boolean live;
    final Promise<JsonObject> promise;
    long timer = -1;
    Watermark.Waiter waiter;
    boolean done;

    PollState(String entity, long after, int limit, boolean live, Promise<JsonObject> promise) {
      this.entity = entity;
      this.after = after;
      this.limit = limit;
      this.live = live;
      this.promise = promise;
    }

    void attempt() {
      waiter = null;
      bus.oplog()
          .read(after, limit, List.of(entity))
          .onComplete(
              ar -> {
                if (done) {
                  return;
                }
                if (ar.failed()) {
                  fail(ar.cause());
                  return;
                }
                OplogReadReply reply = ar.result();
                heads.raise(reply.headId());
                if (!reply.rows().isEmpty() || !live) {
                  finish(body(entity, reply, false));
                  return;
                }
                waiter = heads.await(reply.headId(), this::attempt);
              });
    }

    void fail(Throwable t) {
      if (t instanceof ApiException a && a.status() == 410) {
        t =
            new ApiException(
                410, a.code(), compactedMessage(entity, after, a.getMessage()), a.details());
      }
      done = true;
      cleanup();
      promise.tryFail(t);
    }

    void finish(JsonObject body) {
      if (done) {
        return;
      }
      done = true;
      cleanup();
      promise.tryComplete(body);
    }

    void cleanup() {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
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
      done = true;
      cleanup();
    }
  }

  static JsonObject body(String entity, OplogReadReply reply, boolean timedOut) {
    JsonArray changes = new JsonArray();
    reply.rows().forEach(r -> changes.add(r.toJson()));
    return new JsonObject()
        .put("entity", entity)
        .put("changes", changes)
        .put("count", changes.size())
        .put("next_after", reply.nextAfter())
        .put("head_id", reply.headId())
        .put("timed_out", timedOut);
  }

  static JsonObject empty(String entity, long after, long head, boolean timedOut) {
    return new JsonObject()
        .put("entity", entity)
        .put("changes", new JsonArray())
        .put("count", 0)
        .put("next_after", after)
        .put("head_id", Math.max(head, 0))
        .put("timed_out", timedOut);
  }
}
