package io.emcachers.oplog.compaction;

import io.emcachers.core.bus.BusException;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.CompactRequest;
import io.emcachers.core.messages.CompactionReply;
import io.emcachers.core.messages.OplogStatsReply;
import io.emcachers.core.messages.OplogStatsRequest;
import io.emcachers.oplog.support.GuardedPool;
import io.emcachers.oplog.support.PgErrors;
import io.emcachers.oplog.writer.Transactions;
import io.emcachers.oplog.writer.WriteQueue;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compaction (leader only): one run computes the horizons and raises them on the {@link WriteQueue}
 * before anything is removed, reads the doomed rows in one snapshot and removes them in paced
 * chunks of {@code oplog.chunk_rows}, each its own short transaction, then runs VACUUM (ANALYZE):
 * the read, the chunks and the VACUUM on the compaction pool's sessions, never the writer's, so no
 * append waits for them. See the module README, "Compaction and retention". Also answers {@code
 * emc.oplog.stats} (every node).
 */
public final class Compactor {

  private static final Logger LOG = LoggerFactory.getLogger(Compactor.class);

  /** The least time between two delete chunks. */
  static final long PACE_MIN_WAIT_MS = 5;

  private final Vertx vertx;
  private final Pool pool;
  private final Pool compactionPool;
  private final WriteQueue queue;
  private final CompactionStore store;
  private final ReplicaRegistry replicas;
  private final CompactionMetrics metrics = new CompactionMetrics();
  private final int chunkRows;
  private final long retainHistoryMs;
  private final long replicaExpiryMs;
  private final int vacuumCostDelayMs;
  private final int workMemMb;
  private Future<CompactionReply> running;

  /** Doomed ids a run holds in memory at most before its deletes start. */
  private final int bufferedIds = CompactionStore.DEFAULT_BUFFERED_IDS;

  public Compactor(
      Vertx vertx,
      Pool pool,
      Pool compactionPool,
      WriteQueue queue,
      ReplicaRegistry replicas,
      int chunkRows,
      long retainHistoryMs,
      long replicaExpiryMs,
      int vacuumCostDelayMs,
      int workMemMb) {
    this.vertx = vertx;
    this.pool = pool;
    this.compactionPool = compactionPool;
    this.queue = queue;
    this.store = new CompactionStore(compactionPool);
    this.replicas = replicas;
    this.chunkRows = chunkRows;
    this.retainHistoryMs = retainHistoryMs;
    this.replicaExpiryMs = replicaExpiryMs;
    this.vacuumCostDelayMs = vacuumCostDelayMs;
    this.workMemMb = workMemMb;
  }

  /** {@code emc.oplog.compact}: a run now, or the one in progress. */
  public Future<CompactionReply> compact(CompactRequest request) {
    return run(request == null || request.reason() == null ? "on demand" : request.reason());
  }

  /** Runs a compaction (joins a run in progress). Call on the verticle's context. */
  public Future<CompactionReply> run(String reason) {
    if (running != null) {
      return running;
    }
    Promise<CompactionReply> promise = Promise.promise();
    running = promise.future();
    new Run(reason)
        .go()
        .onComplete(
            ar -> {
              running = null;
              if (ar.failed()) {
                LOG.warn("oplog compaction ({}) failed: {}", reason, ar.cause().toString());
              }
              promise.handle(ar);
            });
    return promise.future();
  }

  private final class Run {
    final String reason;
    final long startNanos = System.nanoTime();
    long horizon;
    long tombstoneHorizon;
    long superseded;
    long tombstones;
    long chunks;
    long vacuumMs;
    long lastChunkNanos;
    long pacedNanos;
    final StringBuilder phases = new StringBuilder();

    Run(String reason) {
      this.reason = reason;
    }

    Future<CompactionReply> go() {
      return queue
          .submit(
              "compaction horizon",
              conn ->
                  Transactions.inTransaction(
                      conn, c -> CompactionStore.markAndHorizon(c, retainHistoryMs)))
          .compose(
              h -> {
                phase("horizon");
                horizon = h;
                if (h <= 1) {
                  return Future.succeededFuture(finishedReply());
                }
                return store
                    .tombstoneHorizon(h, replicaExpiryMs)
                    .compose(
                        t -> {
                          tombstoneHorizon = t;
                          return queue.submit(
                              "compaction horizons",
                              conn ->
                                  Transactions.inTransaction(
                                      conn,
                                      c ->
                                          CompactionStore.raiseHorizons(
                                              c, horizon, tombstoneHorizon, replicaExpiryMs)));
                        })
                    .compose(
                        flagged -> {
                          phase("horizons raised");
                          if (flagged > 0) {
                            LOG.warn(
                                "oplog compaction: {} replica(s) not seen within {} ms are below the tombstone horizon {}: they must rebuild",
                                flagged,
                                replicaExpiryMs,
                                tombstoneHorizon);
                          }
                          return store.doomed(
                              horizon,
                              tombstoneHorizon,
                              chunkRows,
                              bufferedIds,
                              workMemMb,
                              this::chunk);
                        })
                    .compose(
                        v -> {
                          phase("deletes (paced " + pacedNanos / 1_000_000 + " ms)");
                          return vacuum();
                        })
                    .compose(
                        v -> {
                          phase("vacuum");
                          CompactionReply reply = finishedReply();
                          return queue
                              .submit(
                                  "compaction done", conn -> CompactionStore.recordRun(conn, reply))
                              .map(reply);
                        });
              })
          .map(
              reply -> {
                metrics.run(
                    reply.compactionHorizon(), reply.tombstoneHorizon(), reply.durationMs());
                if (reply.removed() > 0) {
                  LOG.info(
                      "oplog compaction ({}): removed {} superseded row(s) below {} and {} delete(s) below {} in {} ms ({} chunk(s); VACUUM {} ms; {})",
                      reason,
                      reply.supersededRemoved(),
                      reply.compactionHorizon(),
                      reply.tombstonesRemoved(),
                      reply.tombstoneHorizon(),
                      reply.durationMs(),
                      chunks,
                      vacuumMs,
                      phases);
                }
                refreshSize();
                return reply;
              });
    }

    private void phase(String name) {
      phases
          .append(phases.length() == 0 ? "" : ", ")
          .append(name)
          .append(" at ")
          .append((System.nanoTime() - startNanos) / 1_000_000)
          .append(" ms");
    }

    /**
     * Deletes one chunk in its own short transaction on the compaction pool, never on the writer:
     * appends do not queue behind a chunk. The deletes only remove rows below horizons raised
     * before the first of them, which no append, repair or scan end touches (those insert above the
     * head), and a purge deletes in the same id order. Paced: a chunk starts after waiting as long
     * as the previous one ran (at least {@link #PACE_MIN_WAIT_MS}), so a run takes at most about
     * half of one core and of the WAL bandwidth the appends' commits share. Stops when this node no
     * longer leads.
     */
    private Future<Void> chunk(CompactionStore.Doomed doomed) {
      if (chunks == 0) {
        phase("first candidates read");
      }
      long wait = Math.max(lastChunkNanos, PACE_MIN_WAIT_MS * 1_000_000) / 1_000_000;
      Promise<Void> paced = Promise.promise();
      if (chunks == 0) {
        paced.complete();
      } else {
        vertx.setTimer(wait, t -> paced.complete());
        pacedNanos += wait * 1_000_000;
      }
      return paced
          .future()
          .compose(
              v -> {
                if (!queue.accepting()) {
                  return Future.failedFuture(
                      new BusException(
                          ErrorCodes.UNAVAILABLE,
                          "oplog compaction stopped: this node no longer leads the oplog"));
                }
                long t0 = System.nanoTime();
                return compactionPool
                    .withConnection(
                        conn ->
                            Transactions.inChunkTransaction(
                                conn,
                                c ->
                                    CompactionStore.deleteChunk(
                                        c, doomed, tombstoneHorizon, replicaExpiryMs)))
                    .onComplete(x -> lastChunkNanos = System.nanoTime() - t0);
              })
          .map(
              n -> {
                superseded += n[0];
                tombstones += n[1];
                chunks++;
                metrics.removed(n[0] + n[1]);
                return null;
              });
    }

    /**
     * Makes the removed rows' space reusable (not returned to the OS: the table stops growing
     * instead of shrinking) and refreshes the statistics; on the pool, never the writer, with
     * {@code vacuum_cost_delay} = {@code oplog.compaction_vacuum_cost_delay_ms}; best effort.
     */
    private Future<Void> vacuum() {
      if (superseded + tombstones == 0) {
        return Future.succeededFuture();
      }
      long t0 = System.nanoTime();
      // A manual VACUUM runs unthrottled by default. Over a table compaction just thinned out it
      // writes WAL (full-page images after a checkpoint) as fast as it can read, and every stream
      // append's commit had to flush that WAL first: one stall of ~0.9 s per run in the benchmark
      // (p99 of appends 859 ms against 7 ms alone). Throttled as autovacuum is, it writes at a
      // bounded rate and the appends' commits stay short.
      return GuardedPool.untimed(compactionPool)
          .withConnection(
              c ->
                  c.query("SET vacuum_cost_delay = " + vacuumCostDelayMs)
                      .execute()
                      .compose(x -> c.query("VACUUM (ANALYZE) oplog").execute())
                      .eventually(() -> c.query("RESET vacuum_cost_delay").execute()))
          .<Void>mapEmpty()
          .onComplete(ar -> vacuumMs = (System.nanoTime() - t0) / 1_000_000)
          .recover(
              e -> {
                LOG.warn(
                    "oplog compaction: VACUUM failed ({}); autovacuum will catch up", e.toString());
                return Future.succeededFuture();
              });
    }

    private CompactionReply finishedReply() {
      return new CompactionReply(
          horizon,
          horizon <= 1 ? 0 : tombstoneHorizon,
          superseded,
          tombstones,
          (System.nanoTime() - startNanos) / 1_000_000,
          Instant.now());
    }
  }

  private void refreshSize() {
    stats(new OplogStatsRequest()).onFailure(e -> LOG.debug("oplog stats: {}", e.toString()));
  }

  /** {@code emc.oplog.stats} (every node, read pool); also updates the size gauges. */
  public Future<OplogStatsReply> stats(OplogStatsRequest request) {
    Map<String, Long> rows = new LinkedHashMap<>();
    Row[] sizes = new Row[1];
    CompactionStore.State[] state = new CompactionStore.State[1];
    return pool.query("SELECT entity, count(*) AS n FROM oplog GROUP BY entity ORDER BY entity")
        .execute()
        .compose(
            perEntity -> {
              perEntity.forEach(r -> rows.put(r.getString("entity"), r.getLong("n")));
              return pool.query(
                      "SELECT pg_relation_size('oplog') AS tbl, pg_indexes_size('oplog') AS idx,"
                          + " pg_total_relation_size('oplog') AS total,"
                          + " (SELECT count(*) FROM oplog_staging) AS staging")
                  .execute();
            })
        .compose(
            s -> {
              sizes[0] = s.iterator().next();
              return CompactionStore.state(pool);
            })
        .compose(
            st -> {
              state[0] = st;
              return replicas.list(pool);
            })
        .map(
            list -> {
              Row s = sizes[0];
              long total = s.getLong("total");
              metrics.size(rows, total);
              metrics.horizons(state[0].compactionHorizon(), state[0].tombstoneHorizon());
              return new OplogStatsReply(
                  rows,
                  rows.values().stream().mapToLong(Long::longValue).sum(),
                  s.getLong("staging"),
                  s.getLong("tbl"),
                  s.getLong("idx"),
                  total,
                  list.headId(),
                  state[0].compactionHorizon(),
                  state[0].tombstoneHorizon(),
                  state[0].compactedBelow(),
                  state[0].lastRun(),
                  list.replicas());
            })
        .recover(e -> Future.failedFuture(PgErrors.toBus("oplog stats", e)));
  }
}
