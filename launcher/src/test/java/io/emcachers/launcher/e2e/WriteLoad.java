package io.emcachers.launcher.e2e;

import com.mongodb.ConnectionString;
import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.result.UpdateResult;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import com.mongodb.reactivestreams.client.MongoCollection;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.bson.BsonArray;
import org.bson.BsonBoolean;
import org.bson.BsonDateTime;
import org.bson.BsonDecimal128;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonString;
import org.bson.BsonValue;
import org.bson.types.Decimal128;

/**
 * A background writer: its own MongoDB client and its own thread, inserting, updating, replacing
 * and deleting documents of one collection at a steady rate until stopped. It records nothing a
 * check depends on ({@link ConvergenceCheck} reads the source itself); the set of ids it believes
 * present only steers which operation it picks.
 *
 * <p>Updates use {@code updateOne} and {@code replaceOne} (the {@code update} command), never
 * {@code findOneAndUpdate} / {@code findOneAndReplace}: the MongoDB wire-protocol test server emits
 * no change event for {@code findAndModify}, so those writes would never reach any cache.
 *
 * <p>Documents carry every kind of value the shapes of the scenarios read: strings, int32, int64,
 * doubles (some NaN), Decimal128, booleans, dates, arrays, sub-documents (sometimes an array where
 * a path expects a document), a field whose type varies ({@code misc}), and values that do not fit
 * their column (a string in {@code n} now and then).
 */
final class WriteLoad implements AutoCloseable {

  private final String collection;
  private final MongoClient client;
  private final MongoCollection<BsonDocument> coll;
  private final ScheduledExecutorService thread;
  private final Random rnd;
  private final int keySpace;
  private final String prefix;
  private final Set<Integer> present = new HashSet<>();
  private final AtomicInteger ops = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final AtomicReference<Throwable> lastError = new AtomicReference<>();
  private final boolean updates;
  private int version;

  private WriteLoad(
      String mongoUrl, String collection, int keySpace, String prefix, long seed, boolean updates) {
    this.collection = collection;
    this.client = MongoClients.create(mongoUrl);
    this.coll =
        client
            .getDatabase(new ConnectionString(mongoUrl).getDatabase())
            .getCollection(collection, BsonDocument.class);
    this.keySpace = keySpace;
    this.prefix = prefix;
    this.rnd = new Random(seed);
    this.updates = updates;
    this.thread =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "write-load-" + collection);
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Starts writing {@code opsPerSecond} operations per second over ids {@code prefix + 0 ..
   * keySpace-1} (string ids). The writer's thread runs one operation per tick (fixed rate; a slow
   * write delays the next tick, never overlaps it).
   */
  static WriteLoad start(
      String mongoUrl,
      String collection,
      String prefix,
      int keySpace,
      int opsPerSecond,
      long seed) {
    return start(new WriteLoad(mongoUrl, collection, keySpace, prefix, seed, true), opsPerSecond);
  }

  /**
   * Inserts and deletes only. For a collection holding a document whose {@code _id} is null: the
   * wire-protocol test server's update lookup ({@code fullDocument: updateLookup}) calls {@code
   * _id.equals(..)} on every stored document and fails with a NullPointerException on that one,
   * which breaks the collection's change stream for good — a test-server bug, not the pipeline's.
   */
  static WriteLoad startInsertsAndDeletes(
      String mongoUrl,
      String collection,
      String prefix,
      int keySpace,
      int opsPerSecond,
      long seed) {
    return start(new WriteLoad(mongoUrl, collection, keySpace, prefix, seed, false), opsPerSecond);
  }

  private static WriteLoad start(WriteLoad w, int opsPerSecond) {
    w.thread.scheduleAtFixedRate(
        w::tick, 0, Math.max(1, 1_000_000 / opsPerSecond), TimeUnit.MICROSECONDS);
    return w;
  }

  /** Operations that completed (successfully or with a tolerated write error). */
  int ops() {
    return ops.get();
  }

  /**
   * Waits until at least {@code more} further operations have completed (Awaitility, with a
   * deadline).
   */
  void awaitMoreOps(int more) {
    int target = ops.get() + more;
    org.awaitility.Awaitility.await(
            "writer on " + collection + " completes " + more + " more operations")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> ops.get() >= target);
  }

  /**
   * Stops writing and waits for the operation in progress; fails when the writer could hardly write
   * at all.
   */
  void stop() {
    thread.shutdown();
    try {
      if (!thread.awaitTermination(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("writer on " + collection + " did not stop");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      client.close();
    }
    if (failed.get() > ops.get() / 10) {
      throw new IllegalStateException(
          "writer on "
              + collection
              + ": "
              + failed.get()
              + " of "
              + ops.get()
              + " operations failed; last error: "
              + lastError.get(),
          lastError.get());
    }
  }

  @Override
  public void close() {
    if (!thread.isShutdown()) {
      stop();
    }
  }

  @Override
  public String toString() {
    return "WriteLoad[" + collection + ", ops " + ops.get() + ", failed " + failed.get() + "]";
  }

  private void tick() {
    int i = rnd.nextInt(keySpace);
    BsonString id = new BsonString(prefix + i);
    int kind = rnd.nextInt(100);
    try {
      if (!present.contains(i)) {
        if (kind < 50 || !updates) {
          ReactiveMongo.one(coll.insertOne(doc(id, i, ++version)));
        } else {
          ReactiveMongo.one(
              coll.replaceOne(
                  Filters.eq("_id", id), doc(id, i, ++version), new ReplaceOptions().upsert(true)));
        }
        present.add(i);
      } else if (!updates) {
        ReactiveMongo.one(coll.deleteOne(Filters.eq("_id", id)));
        present.remove(i);
      } else if (kind < 40) {
        ReactiveMongo.one(
            coll.replaceOne(
                Filters.eq("_id", id), doc(id, i, ++version), new ReplaceOptions().upsert(true)));
        present.add(i);
      } else if (kind < 75) {
        int v = ++version;
        BsonDocument set =
            new BsonDocument("name", new BsonString("u" + i + "-" + v))
                .append("score", new BsonDouble(v * 0.5))
                .append("extra", new BsonString("x" + v))
                .append("addr", new BsonDocument("city", new BsonString("upd" + (v % 7))));
        UpdateResult r =
            ReactiveMongo.one(
                coll.updateOne(
                    Filters.eq("_id", id),
                    new BsonDocument("$set", set)
                        .append("$inc", new BsonDocument("count", new BsonInt32(1)))));
        if (r != null && r.getMatchedCount() == 0) {
          present.remove(
              i); // gone (the collection was dropped): the next pick of this id inserts it
        }
      } else {
        ReactiveMongo.one(coll.deleteOne(Filters.eq("_id", id)));
        present.remove(i);
      }
    } catch (MongoWriteException e) {
      if (e.getError().getCategory() == ErrorCategory.DUPLICATE_KEY) {
        present.add(i); // it exists after all (our belief was stale)
      } else {
        failed.incrementAndGet();
        lastError.set(e);
      }
    } catch (
        RuntimeException e) { // never let the scheduled task die: it would silently stop writing
      failed.incrementAndGet();
      lastError.set(e);
    }
    ops.incrementAndGet();
  }

  /** Version {@code v} of document {@code i}. */
  static BsonDocument doc(BsonValue id, int i, int v) {
    BsonDocument d =
        new BsonDocument("_id", id)
            .append("name", new BsonString("n" + i + "-" + v))
            .append("n", v % 10 == 3 ? new BsonString("not-a-number-" + v) : new BsonInt32(v))
            .append("big", new BsonInt64(v * 1_000_000_007L))
            .append("score", new BsonDouble(v % 13 == 5 ? Double.NaN : v * 0.25))
            .append("price", new BsonDecimal128(new Decimal128(BigDecimal.valueOf(v * 7L, 2))))
            .append("flag", BsonBoolean.valueOf(v % 2 == 0))
            .append("at", new BsonDateTime(1_700_000_000_000L + v * 1_001L + i))
            .append("count", new BsonInt32(0))
            .append(
                "tags",
                new BsonArray(java.util.List.of(new BsonString("t" + (v % 5)), new BsonInt32(i))))
            .append("extra", new BsonString("e" + v));
    // now and then an array where the path addr.city expects a document: the column is NULL
    d.append(
        "addr",
        v % 11 == 4
            ? new BsonArray(java.util.List.of(new BsonDocument("city", new BsonString("in-array"))))
            : new BsonDocument("city", new BsonString("city" + (v % 7)))
                .append("zip", new BsonInt32(1000 + v % 90)));
    BsonValue misc =
        switch (v % 5) {
          case 0 -> new BsonString("s" + v);
          case 1 -> new BsonInt64(v);
          case 2 -> new BsonDouble(v + 0.5);
          case 3 ->
              new BsonDocument("k", new BsonInt32(v))
                  .append("l", new BsonArray(java.util.List.of(BsonBoolean.TRUE)));
          default -> BsonBoolean.valueOf(v % 3 == 0);
        };
    return d.append("misc", misc);
  }
}
