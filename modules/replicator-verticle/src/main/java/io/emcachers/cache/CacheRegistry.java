package io.emcachers.cache;

import io.emcachers.core.bus.BusException;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.Oplog;
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
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The caches of this node: one {@link CacheDb} per entity under {@code {data_dir}/dbs}. Every method
 * blocks (worker threads only) and takes the locks it needs, so callers never see a half-replaced
 * or half-dropped cache. Names are validated with {@link EntityValidator#isValidName} before any
 * path or SQL is built from them.
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

  /** Throws BAD_REQUEST unless {@code name} is a valid entity name. */
  public static String requireName(String name) {
    if (!EntityValidator.isValidName(name)) {
      throw new BusException(ErrorCodes.BAD_REQUEST, "invalid entity name: " + (name == null ? "null" : "'" + name + "'")
          + " (must match " + EntityValidator.NAME.pattern() + ")");
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

  public Set<String> existingNames() {
    return new TreeSet<>(existing);
  }

  /** Creates {@code dbs/}, removes leftovers of interrupted rebuilds and finds the existing caches. */
  public Set<String> scan() throws IOException {
    Files.createDirectories(dbsDir);
    existing.clear();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(dbsDir)) {
      for (Path dir : dirs) {
        String name = dir.getFileName().toString();
        if (!Files.isDirectory(dir) || !EntityValidator.isValidName(name)) {
          continue;
        }
        for (String leftover : List.of(REBUILD_FILE, REBUILD_FILE + "-wal", REBUILD_FILE + "-shm", REBUILD_FILE + "-journal")) {
          Files.deleteIfExists(dir.resolve(leftover));
        }
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

  /** Work on one cache under the locks {@code locks} selects; retries when the instance was dropped meanwhile. */
  private <T> T with(String name, boolean write, boolean read, SqlFunction<CacheDb, T> fn) throws SQLException {
    while (true) {
      CacheDb db = cache(name);
      if (write) {
        db.writeLock.lock();
      }
      if (read) {
        db.readLock.lock();
      }
      try {
        if (db.retired()) {
          continue;
        }
        return fn.apply(db);
      } finally {
        if (read) {
          db.readLock.unlock();
        }
        if (write) {
          db.writeLock.unlock();
        }
      }
    }
  }

  @FunctionalInterface
  public interface SqlFunction<A, R> {
    R apply(A a) throws SQLException;
  }

  // ---------------------------------------------------------------- writes

  /**
   * Applies rows to an existing cache. Throws {@link CacheMissingException} when the file does not
   * exist yet (the caller builds it from the oplog first) and {@link IdentityMismatchException} when it
   * is not a cache of the entity as it is now (shape, incarnation, doc-id rule).
   */
  public CacheDb.ApplyOutcome apply(Entity e, List<Oplog> rows) throws SQLException {
    return with(e.name(), true, false, db -> {
      if (!db.exists()) {
        existing.remove(e.name());
        throw new CacheMissingException(e.name());
      }
      return db.apply(e, rows, true);
    });
  }

  /** The file's metadata, or null when there is no cache. */
  public CacheDb.Meta meta(String name) throws SQLException {
    return with(name, true, false, CacheDb::fileMeta);
  }

  /**
   * Moves a rebuilt file into place, under both locks of the live cache. A swap never makes the cache
   * go backwards: it refuses, returning false, while the live file's {@code last_oplog_id} is above
   * {@code readThrough} — the oplog id up to which the rebuild has read (and applied) every row of the
   * entity — because the live file then holds rows the rebuilt one lacks. The caller reads on and
   * tries again (with the entity's applies held back, so the live file stops moving).
   */
  public Swap swapIn(String name, CacheDb rebuilt, long readThrough, BooleanSupplier cancelled) throws SQLException {
    return with(name, true, true, live -> {
      if (cancelled.getAsBoolean()) {
        throw new BusException(ErrorCodes.CONFLICT, "rebuild of " + name + " cancelled");
      }
      CacheDb.Meta m = live.fileMeta();
      long liveLast = m == null ? 0 : m.lastOplogId();
      if (liveLast > readThrough) {
        LOG.info("cache {}: rebuilt file read the oplog through {}, the live file holds rows up to {}: not swapped yet", name, readThrough, liveLast);
        return new Swap(false, liveLast);
      }
      rebuilt.writeLock.lock();
      try {
        rebuilt.finishForMove();
      } finally {
        rebuilt.writeLock.unlock();
      }
      live.close();
      try {
        Files.move(rebuilt.path(), live.path(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        // WAL side files of the replaced file must not be picked up by the new one
        Files.deleteIfExists(Path.of(live.path() + "-wal"));
        Files.deleteIfExists(Path.of(live.path() + "-shm"));
        Files.deleteIfExists(Path.of(rebuilt.path() + "-wal"));
        Files.deleteIfExists(Path.of(rebuilt.path() + "-shm"));
        Files.deleteIfExists(Path.of(rebuilt.path() + "-journal"));
      } catch (IOException io) {
        throw new SQLException("could not move " + rebuilt.path() + " to " + live.path() + ": " + io, io);
      }
      existing.add(name);
      LOG.info("cache {}: rebuilt file swapped in (read through {}, the live file was at {})", name, readThrough, liveLast);
      return new Swap(true, liveLast);
    });
  }

  /** Outcome of {@link #swapIn}: whether the file was swapped in, and the live file's last_oplog_id it was compared with. */
  public record Swap(boolean done, long liveLast) {}

  /** Closes the cache's connections and removes its directory. Returns whether anything existed. */
  public boolean drop(String name) throws SQLException {
    requireName(name);
    return with(name, true, true, db -> {
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

  public RowJson.Rows query(String name, String sql, JsonArray params, int maxRows, long timeoutMs) throws SQLException {
    ReadOnlyQuery.check(sql);
    return read(name, db -> ReadOnlyQuery.run(db.reader(), db, sql, params, maxRows, timeoutMs));
  }

  private <T> T read(String name, SqlFunction<CacheDb, T> fn) throws SQLException {
    return with(name, false, true, db -> {
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
    return with(name, false, true, db -> {
      if (!db.exists()) {
        throw BusException.notFound("no cache of entity " + name + " on this node");
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
      } catch (BusException e) {
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
    long now = System.nanoTime();
    int closed = 0;
    for (CacheDb db : caches.values()) {
      if (db.openConnections() == 0 || now - db.lastUsedNanos() < TimeUnit.MILLISECONDS.toNanos(idleMs)) {
        continue;
      }
      if (tryBoth(db)) {
        try {
          if (db.openConnections() > 0 && now - db.lastUsedNanos() >= TimeUnit.MILLISECONDS.toNanos(idleMs)) {
            db.close();
            closed++;
            LOG.info("cache {}: idle for {} ms, connections closed", db.entity(), TimeUnit.NANOSECONDS.toMillis(now - db.lastUsedNanos()));
          }
        } finally {
          db.readLock.unlock();
          db.writeLock.unlock();
        }
      }
    }
    return closed;
  }

  private static boolean tryBoth(CacheDb db) {
    if (!db.writeLock.tryLock()) {
      return false;
    }
    if (!db.readLock.tryLock()) {
      db.writeLock.unlock();
      return false;
    }
    return true;
  }

  /** Closes every connection (shutdown). */
  public void closeAll() {
    for (CacheDb db : caches.values()) {
      db.writeLock.lock();
      db.readLock.lock();
      try {
        db.close();
      } finally {
        db.readLock.unlock();
        db.writeLock.unlock();
      }
    }
  }

  /** Opens a private writer on a rebuild file (not registered; the rebuild job owns it). */
  public CacheDb openRebuildFile(Entity e) throws SQLException {
    String name = requireName(e.name());
    Path p = rebuildPathOf(name);
    try {
      for (String suffix : List.of("", "-wal", "-shm", "-journal")) {
        Files.deleteIfExists(Path.of(p + suffix));
      }
    } catch (IOException io) {
      throw new SQLException("cannot clear " + p + ": " + io, io);
    }
    CacheDb db = new CacheDb(name, p);
    db.writeLock.lock();
    try {
      db.openWriter(e, false);
    } finally {
      db.writeLock.unlock();
    }
    return db;
  }

  /** Closes and deletes a rebuild file (failed or cancelled rebuild). */
  public void discardRebuildFile(CacheDb rebuilt) {
    rebuilt.writeLock.lock();
    try {
      rebuilt.close();
      for (String suffix : List.of("", "-wal", "-shm", "-journal")) {
        Files.deleteIfExists(Path.of(rebuilt.path() + suffix));
      }
    } catch (IOException e) {
      LOG.warn("could not delete {}: {}", rebuilt.path(), e.toString());
    } finally {
      rebuilt.writeLock.unlock();
    }
  }

  static void deleteRecursively(Path dir) {
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
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
