package io.emcachers.bench;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.oplog.NoopOplog;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The MongoDB wire-protocol server (mongo-java-server, in-memory backend, oplog on) in its own JVM,
 * so the source's CPU and heap are not counted as the pipeline's. Started by {@link MongoChild}:
 * {@code java -cp <bench jar> io.emcachers.bench.MongoServerMain PORT}; prints {@code
 * MONGO_URL=mongodb://127.0.0.1:PORT} when it accepts connections, then reads one command per line
 * on stdin and answers one line each ({@code ok ...} or {@code error ...}); exits when stdin
 * closes.
 *
 * <ul>
 *   <li>{@code fill-docs DB COLL N}: adds documents 0..N-1 of {@link Docs} straight into the
 *       backend (no oplog entries: the fill is setup, not a change the pipeline should stream).
 *   <li>{@code fill-stream DB COLL K}: adds the K documents the streaming stage updates.
 *   <li>{@code retention SECONDS}: every second, drops oplog entries older than SECONDS. The test
 *       server scans its whole oplog on every change-stream getMore; a real MongoDB oplog is capped
 *       and indexed by time, so an unbounded test oplog would measure the test server, not
 *       emcachers.
 *   <li>{@code drop DB COLL}: drops the collection (no oplog entry), freeing the server's heap.
 *   <li>{@code gc}: a full GC now, so a measurement that follows a fill or a drop does not share
 *       the server's cores with the collection of what the fill left behind.
 *   <li>{@code count DB COLL}: number of documents.
 * </ul>
 */
public final class MongoServerMain {

  private MongoServerMain() {}

  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
    MemoryBackend backend = new MemoryBackend();
    MongoServer server = new MongoServer(backend);
    server.enableOplog();
    server.bind("127.0.0.1", port);
    int bound = server.getLocalAddress().getPort();
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    out.println("MONGO_URL=mongodb://127.0.0.1:" + bound);
    ScheduledExecutorService retention =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "oplog-retention");
              t.setDaemon(true);
              return t;
            });
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        String[] p = line.trim().split("\\s+");
        try {
          switch (p[0]) {
            case "fill-docs" -> {
              long t0 = System.nanoTime();
              MongoCollection<?> coll = collection(backend, p[1], p[2]);
              long n = Long.parseLong(p[3]);
              for (long i = 0; i < n; i++) {
                coll.addDocument(doc(i));
              }
              out.println("ok fill-docs " + n + " " + (System.nanoTime() - t0) / 1_000_000 + "ms");
            }
            case "fill-stream" -> {
              MongoCollection<?> coll = collection(backend, p[1], p[2]);
              long k = Long.parseLong(p[3]);
              for (long i = 0; i < k; i++) {
                coll.addDocument(
                    new Document("_id", Docs.streamDocId(i))
                        .append("seq", -1L)
                        .append("name", "s" + i)
                        .append("score", 0.0));
              }
              out.println("ok fill-stream " + k);
            }
            case "retention" -> {
              long seconds = Long.parseLong(p[1]);
              if (seconds > 0) {
                retention.scheduleWithFixedDelay(
                    () -> trimOplog(backend, seconds), 1, 1, TimeUnit.SECONDS);
              }
              out.println("ok retention " + seconds);
            }
            case "drop" -> {
              backend.resolveDatabase(p[1]).dropCollection(p[2], NoopOplog.get());
              out.println("ok drop " + p[2]);
            }
            case "gc" -> {
              System.gc();
              out.println("ok gc");
            }
            case "count" -> out.println("ok " + collection(backend, p[1], p[2]).count());
            case "oplog-size" ->
                out.println("ok " + collection(backend, "local", "oplog.rs").count());
            default -> out.println("error unknown command: " + line);
          }
        } catch (RuntimeException e) {
          out.println("error " + e);
        }
      }
    } finally {
      retention.shutdownNow();
      server.shutdownNow();
    }
  }

  private static Document doc(long i) {
    return new Document("_id", Docs.docId(i))
        .append("name", Docs.name(i))
        .append("email", Docs.email(i))
        .append("age", Docs.age(i))
        .append("score", Docs.score(i))
        .append("active", Docs.active(i))
        .append("profile", new Document("city", Docs.city(i)).append("tier", Docs.tier(i)))
        .append("bio", Docs.bio());
  }

  private static MongoCollection<?> collection(MemoryBackend backend, String db, String name) {
    MongoDatabase database = backend.resolveDatabase(db);
    MongoCollection<?> coll = database.resolveCollection(name, false);
    return coll != null ? coll : database.createCollectionOrThrowIfExists(name);
  }

  private static void trimOplog(MemoryBackend backend, long seconds) {
    try {
      MongoCollection<?> oplog =
          backend.resolveDatabase("local").resolveCollection("oplog.rs", false);
      if (oplog != null) {
        Instant cutoff = Instant.now().minusSeconds(seconds);
        oplog.deleteDocuments(new Document("wall", new Document("$lt", cutoff)), 0);
      }
    } catch (RuntimeException e) {
      System.err.println("oplog retention failed: " + e);
    }
  }
}
