package io.emcachers.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mongo.MongoClient;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Changes written to the source at a fixed rate, and the time each one takes to become visible to a
 * reader of the SQLite cache.
 *
 * <p>Change {@code s} (a global sequence number) sets {@code seq = s} on document {@code s mod K}
 * of the stream collection; its write time is {@code System.nanoTime()} just before the update is
 * sent. A poller thread holds a read-only connection to the cache file (as a user's process would)
 * and every ~1 ms reads {@code _emc_meta.last_oplog_id}; when it moves, it reads the rows written
 * since and, for each document, marks every change up to the visible {@code seq} as visible now (a
 * change overwritten by a later one to the same document before it showed counts as visible when
 * the later one shows). Latency = visible time − write time, both from this JVM's monotonic clock.
 * A step's figures are a {@link StreamingStep}; the split of each latency at the oplog row and the
 * changes never seen come from {@link StreamingHops}.
 */
final class StreamingStage {

  /** Where the stage's changes go: the MongoDB source, or a synthetic change source. */
  interface ChangeWriter {
    /** The Vert.x instance whose event loop runs the writer's 1 ms timer. */
    Vertx vertx();

    /** Sends change {@code seq} (document {@code k}); completes once the source has it. */
    Future<?> write(int k, long seq, double score);

    void close();
  }

  /** Updates of the stream collection through a MongoDB client of its own. */
  static ChangeWriter mongoWriter(String mongoUrl, String collection) {
    Vertx v = Vertx.vertx();
    MongoClient client =
        MongoClient.create(
            v, new JsonObject().put("connection_string", mongoUrl).put("maxPoolSize", 50));
    return new ChangeWriter() {
      @Override
      public Vertx vertx() {
        return v;
      }

      @Override
      public Future<?> write(int k, long seq, double score) {
        return client.updateCollection(
            collection,
            new JsonObject().put("_id", Docs.streamDocId(k)),
            new JsonObject().put("$set", new JsonObject().put("seq", seq).put("score", score)));
      }

      @Override
      public void close() {
        client.close();
        v.close();
      }
    };
  }

  private final Vertx clientVertx;
  private final ChangeWriter writer;
  private final int docs;
  private final CacheProbe probe;
  private final String table;
  private final long[] lastSeenSeq;
  private long nextSeq;
  private long lastOplogId = -1;

  private final StreamingHops split;

  StreamingStage(
      String mongoUrl, String collection, int docs, Path dataDir, String entity, String pgJdbcUrl) {
    this(mongoWriter(mongoUrl, collection), docs, dataDir, entity, pgJdbcUrl);
  }

  StreamingStage(ChangeWriter writer, int docs, Path dataDir, String entity, String pgJdbcUrl) {
    this.writer = writer;
    this.clientVertx = writer.vertx();
    this.docs = docs;
    this.probe = new CacheProbe(dataDir, entity);
    this.table = entity;
    this.lastSeenSeq = new long[docs];
    Arrays.fill(lastSeenSeq, -1);
    this.split = new StreamingHops(pgJdbcUrl, entity, docs, probe);
  }

  /**
   * Writes {@code rate} changes/s for {@code seconds}, then waits up to {@code drainTimeoutMs} for
   * the last ones to show. A step is sustained when the writer kept ≥ 95% of the rate, every change
   * showed within the drain timeout, and the median latency of the last second is no more than
   * {@code growthMs} above the first second's (lag did not grow).
   */
  StreamingStep run(double rate, double seconds, long drainTimeoutMs, double growthMs)
      throws Exception {
    int n = (int) Math.round(rate * seconds);
    long seq0 = nextSeq;
    nextSeq += n;
    AtomicLongArray written = new AtomicLongArray(n);
    long[] visible = new long[n];
    AtomicLong visibleCount = new AtomicLong();
    AtomicInteger inflight = new AtomicInteger();
    AtomicLong errors = new AtomicLong();
    CompletableFuture<Long> writerDone = new CompletableFuture<>();
    long[] sent = {0};
    long t0 = System.nanoTime();
    long interval = (long) (1e9 / rate);

    // writer: a 1 ms timer on the client's own event loop sends every change that is due
    clientVertx.runOnContext(
        v ->
            clientVertx.setPeriodic(
                1,
                id -> {
                  long now = System.nanoTime();
                  long due = Math.min(n, (now - t0) / interval + 1);
                  while (sent[0] < due && inflight.get() < 5000) {
                    int j = (int) sent[0]++;
                    long s = seq0 + j;
                    int k = (int) (s % docs);
                    written.set(j, System.nanoTime());
                    inflight.incrementAndGet();
                    writer
                        .write(k, s, j * 0.5)
                        .onComplete(
                            ar -> {
                              inflight.decrementAndGet();
                              if (ar.failed()) {
                                errors.incrementAndGet();
                              }
                            });
                  }
                  if (sent[0] >= n) {
                    clientVertx.cancelTimer(id);
                    writerDone.complete(System.nanoTime());
                  }
                }));

    // poller: this thread
    long deadline = Long.MAX_VALUE;
    long writerEnd = 0;
    Connection c = null;
    PreparedStatement rows = null;
    while (visibleCount.get() < n && System.nanoTime() < deadline) {
      if (writerEnd == 0 && writerDone.isDone()) {
        writerEnd = writerDone.get();
        deadline = writerEnd + TimeUnit.MILLISECONDS.toNanos(drainTimeoutMs);
      }
      long last = probe.lastOplogId();
      if (last > lastOplogId) {
        if (c == null || c != probe.connection()) {
          c = probe.connection();
          rows =
              c.prepareStatement(
                  "SELECT _doc_id, seq, _oplog_id FROM \"" + table + "\" WHERE _oplog_id > ?");
        }
        long now = observe(rows, seq0, n, written, visible, visibleCount);
        if (now < 0) {
          c = null;
        }
      }
      LockSupport.parkNanos(1_000_000);
    }
    if (writerEnd == 0) {
      writerEnd = writerDone.get(60, TimeUnit.SECONDS);
    }
    if (rows != null) {
      rows.close();
    }

    // figures
    long[] lat = new long[(int) visibleCount.get()];
    int m = 0;
    long lastVisible = 0;
    long oneSecond = 1_000_000_000L;
    long firstWrite = written.get(0);
    long lastWrite = written.get(n - 1);
    long[] first = new long[n];
    long[] lastSec = new long[n];
    int fc = 0;
    int lc = 0;
    for (int j = 0; j < n; j++) {
      if (visible[j] != 0) {
        long l = visible[j] - written.get(j);
        lat[m++] = l;
        lastVisible = Math.max(lastVisible, visible[j]);
        if (written.get(j) - firstWrite < oneSecond) {
          first[fc++] = l;
        }
        if (lastWrite - written.get(j) < oneSecond) {
          lastSec[lc++] = l;
        }
      }
    }
    Percentiles p = new Percentiles(Arrays.copyOf(lat, m));
    double firstP50 = Percentiles.ms(new Percentiles(Arrays.copyOf(first, fc)).at(0.5));
    double lastP50 = Percentiles.ms(new Percentiles(Arrays.copyOf(lastSec, lc)).at(0.5));
    double writeSeconds = (lastWrite - firstWrite) / 1e9;
    double achieved = n <= 1 ? rate : (n - 1) / Math.max(writeSeconds, 1e-9);
    double drainMs = m == n ? Percentiles.ms(Math.max(0, lastVisible - writerEnd)) : -1;
    String verdict;
    boolean sustained;
    if (achieved < 0.95 * rate) {
      sustained = false;
      verdict = String.format("source-bound: the writer reached %.0f/s of %.0f/s", achieved, rate);
    } else if (m < n) {
      sustained = false;
      verdict =
          (n - m)
              + " of "
              + n
              + " changes not visible "
              + drainTimeoutMs
              + " ms after the last write";
    } else if (lastP50 - firstP50 > growthMs) {
      sustained = false;
      verdict =
          String.format(
              "lag grew: median %.1f ms in the first second, %.1f ms in the last",
              firstP50, lastP50);
    } else if (errors.get() > 0) {
      sustained = false;
      verdict = errors.get() + " source writes failed";
    } else {
      sustained = true;
      verdict = "sustained";
    }
    JsonObject hops = split.hops(seq0, n, written, visible);
    if (m < n) {
      hops.put("not_visible", split.unseen(seq0, n, written, visible, firstWrite));
    }
    return new StreamingStep(
        rate,
        seconds,
        n,
        m,
        errors.get(),
        achieved,
        p,
        firstP50,
        lastP50,
        drainMs,
        sustained,
        verdict,
        hops);
  }

  /**
   * Reads rows changed since the last poll and marks the changes they reveal; returns -1 on a read
   * error.
   */
  private long observe(
      PreparedStatement rows,
      long seq0,
      int n,
      AtomicLongArray written,
      long[] visible,
      AtomicLong visibleCount) {
    try {
      rows.setLong(1, lastOplogId);
      try (ResultSet rs = rows.executeQuery()) {
        long now = System.nanoTime();
        while (rs.next()) {
          long oplogId = rs.getLong(3);
          lastOplogId = Math.max(lastOplogId, oplogId);
          long s = rs.getLong(2);
          if (rs.wasNull() || s < 0) {
            continue;
          }
          int k = (int) (s % docs);
          long prev = lastSeenSeq[k];
          if (s <= prev) {
            continue;
          }
          // every change to document k after prev, up to s, is now visible
          long t = prev < 0 ? k : prev + docs;
          if (t < seq0) {
            t += ((seq0 - t + docs - 1) / docs) * docs;
          }
          for (; t <= s; t += docs) {
            int j = (int) (t - seq0);
            if (j >= 0 && j < n && visible[j] == 0 && written.get(j) != 0) {
              visible[j] = now;
              visibleCount.incrementAndGet();
            }
          }
          lastSeenSeq[k] = s;
        }
        return now;
      }
    } catch (SQLException e) {
      return -1;
    }
  }

  void close() {
    writer.close();
    probe.close();
  }
}
