package io.emcachers.bench;

import io.emcachers.mongo.MongoSource;
import io.emcachers.mongo.PagedCursor;
import io.emcachers.oplog.SchemaMigrator;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.flywaydb.core.Flyway;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * The ceilings each stage is compared to, measured on this machine in the same run: what
 * PostgreSQL, SQLite and the MongoDB source can do with the pipeline's own data when nothing else
 * is in the way.
 */
final class RawLimits {

  private RawLimits() {}

  /**
   * A scratch table with exactly the oplog's definition and indexes, as the real migrations create
   * it.
   */
  static final String SCRATCH_DDL = "CREATE TABLE %1$s (LIKE oplog INCLUDING ALL)";

  /**
   * PostgreSQL COPY (text format, JDBC CopyManager) of {@code rows} oplog-shaped rows into a fresh
   * table with the oplog's definition and indexes, one transaction; the rows are generated while
   * they stream. Includes a warm-up COPY into a throwaway table.
   */
  static Result pgCopy(String jdbcUrl, long rows, long warmup, CpuMeter cpu) throws SQLException {
    // the oplog schema comes from the oplog verticle's own Flyway migrations, never a copy of them
    Flyway.configure(RawLimits.class.getClassLoader())
        .dataSource(jdbcUrl, null, null)
        .locations(SchemaMigrator.LOCATION)
        .loggers("slf4j")
        .load()
        .migrate();
    try (Connection c = DriverManager.getConnection(jdbcUrl)) {
      c.setAutoCommit(true);
      try (Statement st = c.createStatement()) {
        st.execute("DROP TABLE IF EXISTS oplog_scratch_warmup");
        st.execute("DROP TABLE IF EXISTS oplog_scratch");
        st.execute(String.format(SCRATCH_DDL, "oplog_scratch_warmup"));
        st.execute(String.format(SCRATCH_DDL, "oplog_scratch"));
      }
      copy(c, "oplog_scratch_warmup", warmup);
      cpu.start();
      long t0 = System.nanoTime();
      copy(c, "oplog_scratch", rows);
      long nanos = System.nanoTime() - t0;
      cpu.stopAndKeep();
      try (Statement st = c.createStatement();
          var rs = st.executeQuery("SELECT count(*) FROM oplog_scratch")) {
        rs.next();
        if (rs.getLong(1) != rows) {
          throw new IllegalStateException(
              "COPY wrote " + rs.getLong(1) + " rows, expected " + rows);
        }
      }
      try (Statement st = c.createStatement()) {
        st.execute("DROP TABLE oplog_scratch_warmup");
        st.execute("DROP TABLE oplog_scratch");
      }
      return new Result(rows, nanos);
    }
  }

  private static void copy(Connection c, String table, long rows) throws SQLException {
    copy(c, table, java.util.List.of("bench"), 0, rows);
  }

  /**
   * COPY of upserts of documents {@code from..from+rows-1} of {@link Docs}, round-robin over {@code
   * entities}, into {@code table} (the scale stage fills the real oplog with it).
   */
  static void copy(
      Connection c, String table, java.util.List<String> entities, long from, long rows)
      throws SQLException {
    CopyIn in =
        c.unwrap(PGConnection.class)
            .getCopyAPI()
            .copyIn("COPY " + table + " (op, entity, doc_id, data) FROM STDIN");
    try {
      StringBuilder sb = new StringBuilder(1 << 17);
      int k = entities.size();
      for (long i = from; i < from + rows; i++) {
        sb.append("Upsert\t")
            .append(entities.get((int) (i % k)))
            .append('\t')
            .append(Docs.docId(i))
            .append('\t');
        Docs.appendProjectedJson(sb, i);
        sb.append('\n');
        if (sb.length() > (1 << 16)) {
          byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
          in.writeToCopy(b, 0, b.length);
          sb.setLength(0);
        }
      }
      byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
      in.writeToCopy(b, 0, b.length);
      in.endCopy();
    } finally {
      if (in.isActive()) {
        in.cancelCopy();
      }
    }
  }

  /** SQLite settings of the raw upsert: WAL, as the caches use; {@code synchronous} as given. */
  static Result sqliteUpsert(Path dir, long rows, long warmup, String synchronous)
      throws Exception {
    Files.createDirectories(dir);
    upsert(dir.resolve("warmup.sqlite"), warmup, synchronous);
    long t0 = System.nanoTime();
    upsert(dir.resolve("raw.sqlite"), rows, synchronous);
    return new Result(rows, System.nanoTime() - t0);
  }

  /**
   * Upserts {@code rows} rows with the cache's layout ({@code _doc_id TEXT PRIMARY KEY}, the
   * shape's columns, {@code _oplog_id}) into a fresh file in one transaction with {@code
   * last_oplog_id}, the way one cache batch commits.
   */
  private static void upsert(Path file, long rows, String synchronous) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
      try (Statement st = c.createStatement()) {
        st.execute("PRAGMA journal_mode=WAL");
        st.execute("PRAGMA synchronous=" + synchronous);
        st.execute(
            "CREATE TABLE IF NOT EXISTS \"bench\" (_doc_id TEXT PRIMARY KEY, id TEXT, name TEXT, email TEXT, age INTEGER, score REAL,"
                + " active INTEGER, profile TEXT, _oplog_id INTEGER)");
        st.execute("CREATE TABLE IF NOT EXISTS _emc_meta (key TEXT PRIMARY KEY, value TEXT)");
      }
      c.setAutoCommit(false);
      try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO \"bench\" (_doc_id, id, name, email, age, score, active, profile, _oplog_id)"
                      + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(_doc_id) DO UPDATE SET id = excluded.id, name = excluded.name,"
                      + " email = excluded.email, age = excluded.age, score = excluded.score, active = excluded.active, profile = excluded.profile,"
                      + " _oplog_id = excluded._oplog_id");
          PreparedStatement meta =
              c.prepareStatement(
                  "INSERT INTO _emc_meta (key, value) VALUES ('last_oplog_id', ?)"
                      + " ON CONFLICT(key) DO UPDATE SET value = excluded.value")) {
        for (long i = 0; i < rows; i++) {
          String id = Docs.docId(i);
          ps.setString(1, id);
          ps.setString(2, id);
          ps.setString(3, Docs.name(i));
          ps.setString(4, Docs.email(i));
          ps.setInt(5, Docs.age(i));
          ps.setDouble(6, Docs.score(i));
          ps.setInt(7, Docs.active(i) ? 1 : 0);
          ps.setString(8, Docs.profileJson(i));
          ps.setLong(9, i + 1);
          ps.executeUpdate();
        }
        meta.setString(1, Long.toString(rows));
        meta.executeUpdate();
      }
      c.commit();
    }
  }

  /**
   * The source's read ceiling: one cursor over the whole collection in {@code _id} order (what a
   * scan must read), over the wire from the MongoDB server's own JVM, read with the pipeline's own
   * cursor in pages of 1,000. (Until 2026-12-07 it read through vertx-mongo-client's {@code
   * findBatchWithOptions} stream, which stalled for good in three of five runs that day.)
   */
  static Result mongoScan(Vertx vertx, String mongoUrl, String collection, long expected)
      throws Exception {
    return pagedScan(vertx, mongoUrl, collection, null, 1000, expected);
  }

  /**
   * One {@link MongoSource#cursor} (the reader of the pipeline's scans and of the verifier's source
   * pass) in {@code _id} order, page after page; {@code fields} null: whole documents.
   */
  static Result pagedScan(
      Vertx vertx, String mongoUrl, String collection, BsonDocument fields, int page, long expected)
      throws Exception {
    Context ctx = vertx.getOrCreateContext();
    CompletableFuture<MongoSource> made = new CompletableFuture<>();
    ctx.runOnContext(v -> made.complete(new MongoSource(ctx, mongoUrl, "app")));
    MongoSource source = made.get(30, TimeUnit.SECONDS);
    try {
      AtomicLong count = new AtomicLong();
      CompletableFuture<Void> done = new CompletableFuture<>();
      long t0 = System.nanoTime();
      ctx.runOnContext(
          v -> {
            PagedCursor<BsonDocument> cursor =
                source.cursor(
                    collection,
                    new BsonDocument(),
                    new BsonDocument("_id", new BsonInt32(1)),
                    fields,
                    page);
            readPages(cursor, page, count, done);
          });
      done.get(30, TimeUnit.MINUTES);
      long nanos = System.nanoTime() - t0;
      if (count.get() != expected) {
        throw new IllegalStateException(
            "paged scan read " + count.get() + " documents, expected " + expected);
      }
      return new Result(count.get(), nanos);
    } finally {
      ctx.runOnContext(v -> source.close());
    }
  }

  private static void readPages(
      PagedCursor<BsonDocument> cursor, int page, AtomicLong count, CompletableFuture<Void> done) {
    cursor
        .next(page)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                cursor.close();
                done.completeExceptionally(ar.cause());
                return;
              }
              count.addAndGet(ar.result().size());
              if (ar.result().size() < page) {
                cursor.close();
                done.complete(null);
              } else {
                readPages(cursor, page, count, done);
              }
            });
  }

  /** {@code count} items in {@code nanos}. */
  record Result(long count, long nanos) {
    double seconds() {
      return nanos / 1e9;
    }

    double perSecond() {
      return count / seconds();
    }
  }
}
