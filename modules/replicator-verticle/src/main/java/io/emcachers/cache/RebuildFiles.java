package io.emcachers.cache;

import io.emcachers.core.model.Entity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.SQLException;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of a rebuild file {@code dbs/{entity}/db.sqlite.rebuild}: opened with a private writer
 * (not registered; the rebuild job owns it), discarded when the rebuild fails, or swapped in over
 * the live file under both of the live cache's locks. Every method blocks (worker threads only).
 */
public final class RebuildFiles {

  private static final Logger LOG = LoggerFactory.getLogger(RebuildFiles.class);

  /** A SQLite file's side files, which belong to it and go with it. */
  private static final List<String> SIDE_FILES = List.of("-wal", "-shm", "-journal");

  private final CacheRegistry registry;

  public RebuildFiles(CacheRegistry registry) {
    this.registry = registry;
  }

  /**
   * Opens a private writer on a new, empty rebuild file of {@code e} (a leftover one is removed
   * first).
   */
  public CacheDb open(Entity e) throws SQLException {
    String name = CacheRegistry.requireName(e.name());
    Path p = registry.rebuildPathOf(name);
    try {
      deleteWithSideFiles(p);
    } catch (IOException io) {
      throw new SQLException("cannot clear " + p + ": " + io, io);
    }
    CacheDb db = new CacheDb(name, p);
    db.writeLock.lock();
    try {
      db.openWriter(e, false, true);
      db.unsyncedUntilMove();
    } finally {
      db.writeLock.unlock();
    }
    return db;
  }

  /**
   * Creates the rebuilt file's indexes after its bulk load; throws {@link UniqueViolationException}
   * when the rows violate a unique one.
   */
  public void buildSecondary(CacheDb rebuilt) throws SQLException {
    rebuilt.writeLock.lock();
    try {
      rebuilt.buildSecondary();
    } finally {
      rebuilt.writeLock.unlock();
    }
  }

  /** Closes and deletes a rebuild file (failed or cancelled rebuild). */
  public void discard(CacheDb rebuilt) {
    rebuilt.writeLock.lock();
    try {
      rebuilt.close();
      deleteWithSideFiles(rebuilt.path());
    } catch (IOException e) {
      LOG.warn("could not delete {}: {}", rebuilt.path(), e.toString());
    } finally {
      rebuilt.writeLock.unlock();
    }
  }

  /**
   * Moves a rebuilt file into place, under both locks of the live cache. A swap never makes the
   * cache go backwards: it refuses, returning false, while the live file's {@code last_oplog_id} is
   * above {@code readThrough} — the oplog id up to which the rebuild has read (and applied) every
   * row of the entity — because the live file then holds rows the rebuilt one lacks. The caller
   * reads on and tries again (with the entity's applies held back, so the live file stops moving).
   */
  public Swap swapIn(String name, CacheDb rebuilt, long readThrough, BooleanSupplier cancelled)
      throws SQLException {
    return registry.with(
        name,
        true,
        true,
        live -> {
          if (cancelled.getAsBoolean()) {
            throw new CacheException(
                CacheException.Kind.CANCELLED, "rebuild of " + name + " cancelled");
          }
          CacheMeta m = live.fileMeta();
          long liveLast = m == null ? 0 : m.lastOplogId();
          if (liveLast > readThrough) {
            LOG.info(
                "cache {}: rebuilt file read the oplog through {}, the live file holds rows up to {}: not swapped yet",
                name,
                readThrough,
                liveLast);
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
            Files.move(
                rebuilt.path(),
                live.path(),
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
            // WAL side files of the replaced file must not be picked up by the new one
            Files.deleteIfExists(Path.of(live.path() + "-wal"));
            Files.deleteIfExists(Path.of(live.path() + "-shm"));
            deleteWithSideFiles(rebuilt.path());
          } catch (IOException io) {
            throw new SQLException(
                "could not move " + rebuilt.path() + " to " + live.path() + ": " + io, io);
          }
          registry.markExisting(name);
          LOG.info(
              "cache {}: rebuilt file swapped in (read through {}, the live file was at {})",
              name,
              readThrough,
              liveLast);
          return new Swap(true, liveLast);
        });
  }

  /**
   * Outcome of {@link #swapIn}: whether the file was swapped in, and the live file's last_oplog_id
   * it was compared with.
   */
  public record Swap(boolean done, long liveLast) {}

  /** Deletes a SQLite file and its side files, those that exist. */
  static void deleteWithSideFiles(Path file) throws IOException {
    Files.deleteIfExists(file);
    for (String suffix : SIDE_FILES) {
      Files.deleteIfExists(Path.of(file + suffix));
    }
  }
}
