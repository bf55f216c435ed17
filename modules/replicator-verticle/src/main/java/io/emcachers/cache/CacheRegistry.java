package io.emcachers.cache;

import io.emcachers.core.model.Entity;
import io.emcachers.core.model.Oplog;
import io.emcachers.core.model.Shape;
import io.emcachers.core.validation.EntityValidator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The caches of this node: one {@link CacheDb} per entity under {@code {data_dir}/dbs}. Every
 * method blocks (worker threads only) and takes the locks it needs, so callers never see a
 * half-replaced or half-dropped cache. Names are validated with {@link EntityValidator#isValidName}
 * before any path or SQL is built from them. Rebuild files are opened and swapped in by {@link
 * RebuildFiles}; failures the caller should see are {@link CacheException}s.
 */
public final class CacheRegistry {

  private static final Logger LOG = LoggerFactory.getLogger(CacheRegistry.class);

  public static final String DB_FILE = "db.sqlite";
  public static final String REBUILD_FILE = "db.sqlite.rebuild";

  private final Path dbsDir;
  private final Map<String, CacheDb> caches = new ConcurrentHashMap<>();

  /** Entities whose cache file exists (kept current by create, drop and swap). */
  private final Set<String> existing = ConcurrentHashMap.newKeySet();

  public CacheRegistry(Path dbsDir) {
    this.dbsDir = dbsDir;
  }

  public Path dbsDir() {
    return dbsDir;
  }

  /** Throws {@link CacheException.Kind#INVALID} unless {@code name} is a valid entity name. */
  public static String requireName(String name) {
    if (!EntityValidator.isValidName(name)) {
      throw CacheException.invalid(
          "invalid entity name: "
              + (name == null ? "null" : "'" + name + "'")
              + " (must match "
              + EntityValidator.NAME.pattern()
              + ")");
    }
    return name;
  }

  public Path dirOf(String name) {
    return dbsDir.resolve(requireName(name));
  }

  public Path pathOf(String name) {
    return dirOf(name).resolve(DB_FILE);
  }

  public Path rebuildPathOf(String name) {
    return dirOf(name).resolve(REBUILD_FILE);
  }

  /** Whether the entity's cache file exists (as last seen by this registry; no I/O). */
  public boolean exists(String name) {
    return existing.contains(name);
  }

  /** Records that the entity's cache file exists now (a rebuilt file was moved into place). */
  void markExisting(String name) {
    existing.add(name);
  }

  public Set<String> existingNames() {
    return new TreeSet<>(existing);
  }

  /**
   * Creates {@code dbs/}, removes leftovers of interrupted rebuilds and finds the existing caches.
   */
  public Set<String> scan() throws IOException {
    Files.createDirectories(dbsDir);
    existing.clear();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(dbsDir)) {
      for (Path dir : dirs) {
        String name = dir.getFileName().toString();
        if (!Files.isDirectory(dir) || !EntityValidator.isValidName(name)) {
          continue;
        }
        RebuildFiles.deleteWithSideFiles(dir.resolve(REBUILD_FILE));
        if (Files.exists(dir.resolve(DB_FILE))) {
          existing.add(name);
        }
      }
    }
    return existingNames();
  }

  private CacheDb cache(String name) {
    return caches.computeIfAbsent(requireName(name), n -> new CacheDb(n, pathOf(n)));
  }

  /**
   * Work on one cache under the locks {@code locks} selects; retries when the instance was dropped
   * meanwhile.
   */
  <T> T with(String name, boolean write, boolean read, SqlFunction<CacheDb, T> fn)
      throws SQLException {
    // writer and reader together is a file-level operation (close, drop, replace): the spare
    // reader's lock too, so no connection of the file is in use
    boolean spare = write && read;
    while (true) {
      CacheDb db = cache(name);
      if (write) {
        db.writeLock.lock();
      }
      if (read) {
        db.readLock.lock();
      }
      if (spare) {
        db.spareLock.lock();
      }
      try {
        if (db.retired()) {
          continue;
        }
        return fn.apply(db);
      } finally {
        if (spare) {
          db.spareLock.unlock();
        }
        if (read) {
          db.readLock.unlock();
        }
        if (write) {
          db.writeLock.unlock();
        }
      }
    }
  }

  /**
   * Runs {@code fn} on whichever read connection of the cache is free: the reader when its lock is
   * free, else the spare reader (waiting for it). Only verification compares use it, so two pages
   * are read at once while API reads keep the reader. A failed connection is closed (reopened on
   * the next read) and the failure rethrown.
   */
  <T> T withAnyReader(String name, SqlBiFunction<Connection, Shape, T> fn) throws SQLException {
    while (true) {
      CacheDb db = cache(name);
      boolean main = db.readLock.tryLock();
      if (!main) {
        db.spareLock.lock();
      }
      try {
        if (db.retired()) {
          continue;
        }
        Connection c = main ? db.reader() : db.spareReader();
        try {
          return fn.apply(c, main ? db.readerShape() : db.spareShape());
        } catch (SQLException e) {
          if (main) {
            db.closeReader();
          } else {
            db.closeSpare();
          }
          throw e;
        }
      } finally {
        (main ? db.readLock : db.spareLock).unlock();
      }
    }
  }

  @FunctionalInterface
  public interface SqlBiFunction<A, B, R> {
    R apply(A a, B b) throws SQLException;
  }

  @FunctionalInterface
  public interface SqlFunction<A, R> {
    R apply(A a) throws SQLException;
  }

  // ---------------------------------------------------------------- writes

  /**
   * Applies rows to an existing cache. Throws {@link CacheMissingException} when the file does not
   * exist yet (the caller builds it from the oplog first) and {@link IdentityMismatchException}
   * when it is not a cache of the entity as it is now (shape, incarnation, doc-id rule).
   */
  public CacheDb.ApplyOutcome apply(Entity e, List<Oplog> rows) throws SQLException {
    return with(
        e.name(),
        true,
        false,
        db -> {
          if (!db.exists()) {
            existing.remove(e.name());
            throw new CacheMissingException(e.name());
          }
          return db.apply(e, rows, true);
        });
  }

  /** The file's metadata, or null when there is no cache. */
  public CacheMeta meta(String name) throws SQLException {
    return with(name, true, false, CacheDb::fileMeta);
  }

  /** Closes the cache's connections and removes its directory. Returns whether anything existed. */
  public boolean drop(String name) throws SQLException {
    requireName(name);
    return with(
        name,
        true,
        true,
        db -> {
          db.close();
          db.retire();
          caches.remove(name, db);
          existing.remove(name);
          Path dir = dirOf(name);
          if (!Files.exists(dir)) {
            return false;
          }
          deleteRecursively(dir);
          LOG.info("cache {}: connections closed, {} removed", name, dir);
          return true;
        });
  }

  // ---------------------------------------------------------------- reads

  public RowJson.Rows page(String name, String after, int limit) throws SQLException {
    return read(name, db -> db.page(after, limit));
  }

  public List<JsonObject> doc(String name, String docId) throws SQLException {
    return read(name, db -> db.doc(docId));
  }

  public RowJson.Rows query(String name, String sql, JsonArray params, int maxRows, long timeoutMs)
      throws SQLException {
    ReadOnlyQuery.check(sql);
    return read(name, db -> ReadOnlyQuery.run(db.reader(), db, sql, params, maxRows, timeoutMs));
  }

  /**
   * Full-text search ({@link CacheSearch#query}) with the query's time limit; INVALID when the
   * entity has no search columns or {@code q} is not a valid FTS5 query.
   */
  public RowJson.Rows search(String name, String q, int limit, long timeoutMs) throws SQLException {
    return read(
        name,
        db -> {
          db.reader();
          if (db.readerShape().searchColumns().isEmpty()) {
            throw CacheException.invalid(
                "entity " + name + " has no search columns (mark Text columns \"search\": true)");
          }
          try {
            return ReadOnlyQuery.run(
                db.reader(),
                db,
                CacheSearch.query(name),
                new JsonArray().add(q).add(limit + 1),
                limit,
                timeoutMs);
          } catch (CacheException e) {
            if (e.kind() == CacheException.Kind.INVALID) {
              throw new CacheException(
                  CacheException.Kind.INVALID,
                  "q is not a valid full-text query: "
                      + e.getMessage().replace("query failed: ", ""),
                  e);
            }
            throw e;
          }
        });
  }

  private <T> T read(String name, SqlFunction<CacheDb, T> fn) throws SQLException {
    return with(
        name,
        false,
        true,
        db -> {
          try {
            return fn.apply(db);
          } catch (SQLException e) {
            db.closeReader(); // a failed connection is reopened on the next read
            throw e;
          }
        });
  }

  /** Info of one cache; NOT_FOUND when it does not exist. */
  public JsonObject info(String name) throws SQLException {
    return with(
        name,
        false,
        true,
        db -> {
          if (!db.exists()) {
            throw CacheException.notFound(name);
          }
          return db.info();
        });
  }

  /** Info of every cache on disk, by name. */
  public JsonObject infoAll() throws SQLException {
    Map<String, JsonObject> all = new TreeMap<>();
    for (String name : existingNames()) {
      try {
        all.put(name, info(name));
      } catch (CacheException e) {
        // dropped meanwhile
      }
    }
    JsonObject out = new JsonObject();
    all.forEach(out::put);
    return out;
  }

  // ---------------------------------------------------------------- connections

  public int openConnections() {
    return caches.values().stream().mapToInt(CacheDb::openConnections).sum();
  }

  /** Closes the connections of caches unused for {@code idleMs}; skips caches busy right now. */
  public int closeIdle(long idleMs) {
    long idleNanos = TimeUnit.MILLISECONDS.toNanos(idleMs);
    int closed = 0;
    for (CacheDb db : caches.values()) {
      if (db.closeIfIdle(idleNanos)) {
        closed++;
      }
    }
    return closed;
  }

  /** Closes every connection (shutdown). */
  public void closeAll() {
    caches.values().forEach(CacheDb::closeLocked);
  }

  static void deleteRecursively(Path dir) {
    try {
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
              Files.deleteIfExists(d);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (NoSuchFileException gone) {
      // already removed
    } catch (IOException e) {
      throw new UncheckedIOException("could not remove " + dir, e);
    }
  }
}
