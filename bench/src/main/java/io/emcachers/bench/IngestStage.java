package io.emcachers.bench;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.model.Operation;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A synthetic event source on the event bus, shaped like the listener: change-stream batches of
 * {@code batch} projected upserts sent to {@code emc.oplog.append}, at most {@code window} batches
 * awaiting their ack, the next batch sent as soon as an ack frees a slot. Each batch carries a
 * resume token, so the oplog verticle does all the work it does for the real listener.
 */
final class IngestStage {

  private IngestStage() {}

  record Result(long entries, long nanos, long batches, long appended, long staged, long headId) {
    double perSecond() {
      return entries / (nanos / 1e9);
    }
  }

  /**
   * Appends entries {@code from..from+count-1} of {@link Docs}, round-robin over {@code entities}.
   */
  static Result run(
      Vertx vertx, List<String> entities, long from, long count, int batch, int window)
      throws Exception {
    Sender s = new Sender(vertx, entities, from, from + count, batch, window);
    long t0 = System.nanoTime();
    vertx.runOnContext(v -> s.pump());
    s.done.get(60, TimeUnit.MINUTES);
    long nanos = System.nanoTime() - t0;
    if (s.staged > 0 || s.appended != count) {
      throw new IllegalStateException(
          "the oplog appended "
              + s.appended
              + " and staged "
              + s.staged
              + " of "
              + count
              + " entries: the benchmark entities should be live");
    }
    return new Result(count, nanos, s.batches, s.appended, s.staged, s.head);
  }

  private static final class Sender {
    final Vertx vertx;
    final List<String> entities;
    final long end;
    final int batch;
    final int window;
    final CompletableFuture<Void> done = new CompletableFuture<>();
    long next;
    int inflight;
    long batches;
    long appended;
    long staged;
    long head;

    Sender(Vertx vertx, List<String> entities, long from, long end, int batch, int window) {
      this.vertx = vertx;
      this.entities = entities;
      this.next = from;
      this.end = end;
      this.batch = batch;
      this.window = window;
    }

    void pump() {
      while (inflight < window && next < end && !done.isDone()) {
        long lo = next;
        long hi = Math.min(end, lo + batch);
        next = hi;
        List<OplogEntry> list = new ArrayList<>((int) (hi - lo));
        for (long i = lo; i < hi; i++) {
          list.add(
              new OplogEntry(
                  Operation.Upsert,
                  entities.get((int) (i % entities.size())),
                  Docs.docId(i),
                  Docs.projected(i)));
        }
        JsonObject token = new JsonObject().put("_data", Long.toHexString(hi));
        inflight++;
        send(AppendBatch.stream("bench", token, list), 0);
      }
      if (next >= end && inflight == 0) {
        done.complete(null);
      }
    }

    void send(AppendBatch b, int attempt) {
      Bus.request(vertx.eventBus(), Addresses.OPLOG_APPEND, b, AppendResult.class)
          .onComplete(
              ar -> {
                if (ar.failed()) {
                  int code = Bus.codeOf(ar.cause());
                  if (ErrorCodes.retriable(code) && attempt < 300) {
                    vertx.setTimer(100, t -> send(b, attempt + 1));
                  } else {
                    done.completeExceptionally(
                        new IllegalStateException(
                            "append failed: " + Bus.textOf(ar.cause()), ar.cause()));
                  }
                  return;
                }
                AppendResult r = ar.result();
                inflight--;
                batches++;
                appended += r.appended();
                staged += r.staged();
                head = Math.max(head, r.headId());
                pump();
              });
    }
  }
}
