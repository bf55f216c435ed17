package io.emcachers.bench;

import io.emcachers.listener.stream.ChangeSource;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import org.bson.BsonDocument;
import org.bson.BsonString;
import org.bson.BsonTimestamp;

/**
 * A change source in the benchmark's JVM, in place of MongoDB, for the {@code pipeline_latency}
 * stage: the stage {@link #emit}s update events (full documents, as {@code updateLookup} gives
 * them) and the real listener reads them through the same {@link ChangeSource.Cursor} contract it
 * reads MongoDB with, so everything after the cursor — routing, {@code StreamBatcher}, the append
 * window, the oplog writer, the replicator, the cache — is the production path. It behaves like a
 * MongoDB that awaits data: a {@code next} with nothing to read waits until an event is emitted (or
 * {@code awaitMs} passed) and answers with what is there, at most {@code batchSize}; every answer
 * arrives on the caller's context as a network reply would. Events carry MongoDB-shaped resume
 * tokens ({@code _data} starting with the cluster time) and a post-batch resume token. A cursor
 * opened with a token resumes after it while the event is still retained (every unread event, and
 * {@value #KEEP_READ} read ones behind the slowest open cursor).
 */
final class SyntheticChangeSource implements ChangeSource {

  /**
   * Read events kept behind the slowest open cursor, for a resume from the acked token (more than
   * the listener's unacked window of 4 batches of 500 plus the batch it is filling). Kept small and
   * unread events are not held longer than needed: events the benchmark retains become old-gen
   * objects that the pipeline's young GCs copy (a fixed 100,000-event ring made young pauses of
   * 100-190 ms).
   */
  static final int KEEP_READ = 4096;

  private final String database;
  private final String collection;
  private final int clusterSeconds = (int) (System.currentTimeMillis() / 1000);

  /** Event {@code s} is at {@code ring[s & (ring.length - 1)]} while {@code first <= s < next}. */
  private BsonDocument[] ring = new BsonDocument[8192];

  private long first;
  private long next;
  private final List<SyntheticCursor> open = new ArrayList<>();
  private final List<SyntheticCursor> waiting = new ArrayList<>();

  /** Streams events of {@code collection} of {@code database}; other collections stay empty. */
  SyntheticChangeSource(String database, String collection) {
    this.database = database;
    this.collection = collection;
  }

  /** Adds an update event whose looked-up document is {@code fullDocument} (has an {@code _id}). */
  void emit(BsonDocument fullDocument) {
    List<SyntheticCursor> wake;
    synchronized (this) {
      long seq = next++;
      BsonTimestamp time = new BsonTimestamp(clusterSeconds, (int) (seq + 1));
      BsonDocument event =
          new BsonDocument("_id", token(time))
              .append("operationType", new BsonString("update"))
              .append("clusterTime", time)
              .append(
                  "ns",
                  new BsonDocument("db", new BsonString(database))
                      .append("coll", new BsonString(collection)))
              .append("documentKey", new BsonDocument("_id", fullDocument.get("_id")))
              .append("fullDocument", fullDocument);
      if (next - first > ring.length) {
        grow();
      }
      ring[(int) (seq & (ring.length - 1))] = event;
      if (waiting.isEmpty()) {
        return;
      }
      wake = new ArrayList<>(waiting);
      waiting.clear();
    }
    wake.forEach(SyntheticCursor::answer);
  }

  /** Doubles the ring, keeping every event from {@code first}. */
  private void grow() {
    BsonDocument[] bigger = new BsonDocument[ring.length * 2];
    for (long s = first; s < next - 1; s++) {
      bigger[(int) (s & (bigger.length - 1))] = ring[(int) (s & (ring.length - 1))];
    }
    ring = bigger;
  }

  /** Drops events more than {@link #KEEP_READ} behind every open cursor (none open: keeps all). */
  private void trim() {
    if (open.isEmpty()) {
      return;
    }
    long min = Long.MAX_VALUE;
    for (SyntheticCursor c : open) {
      min = Math.min(min, c.position);
    }
    long keepFrom = Math.max(first, min - KEEP_READ);
    for (; first < keepFrom; first++) {
      ring[(int) (first & (ring.length - 1))] = null;
    }
  }

  /** Events emitted so far. */
  synchronized long emitted() {
    return next;
  }

  private static BsonDocument token(BsonTimestamp time) {
    return new BsonDocument("_data", new BsonString(String.format("82%016X04", time.getValue())));
  }

  private static long seqOf(BsonDocument token) {
    String hex = token.getString("_data").getValue();
    return (Long.parseUnsignedLong(hex.substring(2, 18), 16) & 0xffffffffL) - 1;
  }

  @Override
  public Future<Opened> open(
      String coll, List<String> dbCollections, BsonDocument resumeAfter, int batchSize) {
    Context ctx = Vertx.currentContext();
    boolean ours = collection.equals(coll) || (coll == null && dbCollections.contains(collection));
    long from;
    synchronized (this) {
      from = resumeAfter == null ? next : seqOf(resumeAfter) + 1;
      if (from < first || from > next) {
        return Future.failedFuture(
            new IllegalStateException("synthetic source: resume point no longer retained"));
      }
    }
    SyntheticCursor c = new SyntheticCursor(ctx, ours, from);
    if (ours) {
      synchronized (this) {
        open.add(c);
      }
    }
    return Future.succeededFuture(new Opened(c, new Batch(List.of(), c.postBatchToken(), false)));
  }

  private final class SyntheticCursor implements Cursor {
    private final Context ctx;
    private final boolean ours;
    private long position;
    private Promise<Batch> pending;
    private int pendingSize;
    private long timer = -1;
    private boolean closed;

    SyntheticCursor(Context ctx, boolean ours, long from) {
      this.ctx = ctx;
      this.ours = ours;
      this.position = from;
    }

    BsonDocument postBatchToken() {
      synchronized (SyntheticChangeSource.this) {
        return token(new BsonTimestamp(clusterSeconds, (int) position));
      }
    }

    @Override
    public Future<Batch> next(int batchSize, long awaitMs) {
      Promise<Batch> p = Promise.promise();
      synchronized (SyntheticChangeSource.this) {
        pending = p;
        pendingSize = batchSize;
        if (!ours || position >= next) {
          waiting.add(this);
          long me = ++waits;
          timer = ctx.owner().setTimer(awaitMs, t -> timedOut(me));
          return p.future();
        }
      }
      ctx.runOnContext(v -> answer());
      return p.future();
    }

    private long waits;

    private void timedOut(long which) {
      synchronized (SyntheticChangeSource.this) {
        if (which != waits || pending == null) {
          return;
        }
        waiting.remove(this);
      }
      answer();
    }

    /** Answers the pending request on its context with what is there now. */
    void answer() {
      ctx.runOnContext(
          v -> {
            Promise<Batch> p;
            List<BsonDocument> out = new ArrayList<>();
            synchronized (SyntheticChangeSource.this) {
              p = pending;
              if (p == null) {
                return;
              }
              pending = null;
              waiting.remove(this);
              if (ours && !closed) {
                while (position < next && out.size() < pendingSize) {
                  out.add(ring[(int) (position++ & (ring.length - 1))]);
                }
                trim();
              }
            }
            if (timer >= 0) {
              ctx.owner().cancelTimer(timer);
              timer = -1;
            }
            p.complete(new Batch(out, postBatchToken(), closed));
          });
    }

    @Override
    public Future<Void> close() {
      synchronized (SyntheticChangeSource.this) {
        closed = true;
        waiting.remove(this);
        open.remove(this);
      }
      return Future.succeededFuture();
    }
  }
}
