package io.emcachers.oplog;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.ConsumerGroup;
import io.emcachers.core.circuit.Breaker;
import io.emcachers.core.circuit.Breakers;
import io.emcachers.core.jobs.JobScheduler;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.core.retry.Backoff;
import io.emcachers.oplog.compaction.Compactor;
import io.emcachers.oplog.compaction.ReplicaRegistry;
import io.emcachers.oplog.entities.EntityManager;
import io.emcachers.oplog.scan.ScanManager;
import io.emcachers.oplog.scan.ScanStore;
import io.emcachers.oplog.support.EventPublisher;
import io.emcachers.oplog.support.GuardedPool;
import io.emcachers.oplog.support.OplogMetrics;
import io.emcachers.oplog.support.PgErrors;
import io.emcachers.oplog.writer.LeaderFence;
import io.emcachers.oplog.writer.LeaderLock;
import io.emcachers.oplog.writer.LeaderState;
import io.emcachers.oplog.writer.LeadershipCoordinator;
import io.emcachers.oplog.writer.OplogHead;
import io.emcachers.oplog.writer.OplogRepairer;
import io.emcachers.oplog.writer.OplogWriter;
import io.emcachers.oplog.writer.WriteQueue;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL side of emcachers: schema migrations, entity manager, oplog writer (leader only),
 * staging of new entities, resume tokens, scan progress and oplog reads. Deployed with the whole
 * root config; see the module README for the bus contract.
 *
 * <p>Every node registers the read consumers (read, resume token, scan state, entity
 * get/list/refresh, replica registry, health, node-local leader state). Only the advisory-lock
 * leader registers the write consumers (append, repair, scan begin/end, compact, entity
 * create/update/delete/set-status). Which address goes to which handler: {@link OplogConsumers}.
 */
public class OplogVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(OplogVerticle.class);

  public static final String REFRESH_JOB = "oplog-entity-refresh";
  public static final String COMPACTION_JOB = "oplog-compaction";
  private static final long STOP_DRAIN_MS = 5000;

  private OplogConfig config;
  private Pool pool;
  private Pool compactionPool;
  private Breaker breaker;
  private LeaderLock leaderLock;
  private WriteQueue writeQueue;
  private LeadershipCoordinator leadership;
  private JobScheduler scheduler;
  private ConsumerGroup readConsumers;
  private ConsumerGroup healthConsumers;
  private Compactor compactor;
  private volatile boolean stopped;

  public OplogVerticle() {}

  @Override
  public Future<?> start() {
    config = OplogConfig.fromJson(config());
    LOG.info("oplog verticle starting: {}", config);

    OplogMetrics metrics = new OplogMetrics();
    EventPublisher events = new EventPublisher(vertx, config.nodeId());
    OplogHead head = new OplogHead();
    // every PostgreSQL call (read pool, writer units, connect, lock query) goes through one breaker
    breaker =
        Breakers.create(vertx, Breakers.POSTGRESQL, config.circuit(), PgErrors::isUnavailable);
    pool = pool("emc-oplog-read-", config.poolSize());
    // compaction's candidate read, delete chunks and VACUUM: sessions of their own, never the
    // writer's, so appends do not queue behind a chunk; two: a run above its id buffer deletes
    // while its read stays open
    compactionPool = pool("emc-oplog-compaction-", 2);

    writeQueue =
        new WriteQueue(
            vertx,
            config.writeTimeoutMs(),
            config.maxQueuedWrites(),
            config.standbyRetryMs(),
            (conn, error) -> leaderLock.connectionFailed(conn, error),
            breaker);
    LeaderFence fence =
        new LeaderFence(
            writeQueue,
            config.leaderLockKey(),
            () -> leadership == null ? null : leadership.term());
    OplogWriter writer =
        new OplogWriter(vertx, writeQueue, config.maxBatchEntries(), head, metrics, events, fence);
    OplogRepairer repairer =
        new OplogRepairer(vertx, writeQueue, config.maxBatchEntries(), head, metrics, events);
    EntityManager entities = new EntityManager(pool, writeQueue, events, head, config.chunkRows());
    ScanManager scans =
        new ScanManager(
            new ScanStore(pool), writeQueue, entities, events, head, config.chunkRows());
    OplogReader reader = new OplogReader(pool, config.readMaxRows(), head);
    ResumeTokenStore tokens = new ResumeTokenStore(pool);
    scheduler = new JobScheduler(vertx);
    ReplicaRegistry replicas = new ReplicaRegistry(pool, config.replicaExpiryMs());
    compactor =
        new Compactor(
            vertx,
            pool,
            compactionPool,
            writeQueue,
            replicas,
            config.chunkRows(),
            config.retainHistoryMs(),
            config.replicaExpiryMs(),
            config.vacuumCostDelayMs(),
            config.compactionWorkMemMb());

    OplogConsumers consumers =
        new OplogConsumers(
            vertx,
            fence,
            writer,
            repairer,
            scans,
            entities,
            compactor,
            replicas,
            reader,
            tokens,
            new ClusterTimes(pool));
    leadership =
        new LeadershipCoordinator(
            vertx,
            config.leaderLockKey(),
            config.lease(),
            writeQueue,
            head,
            events,
            consumers::write,
            (conn, error) -> leaderLock.connectionFailed(conn, error));
    leaderLock = new LeaderLock(vertx, config, leadership, breaker);
    OplogHealthReporter health =
        new OplogHealthReporter(
            config, leaderLock, leadership, writeQueue, head, metrics, scheduler, pool, breaker);

    healthConsumers =
        new ConsumerGroup(vertx)
            .handle(Addresses.OPLOG_HEALTH, HealthRequest.class, health::health)
            .handleLocal(Addresses.OPLOG_LEADER_LOCAL, HealthRequest.class, health::leaderLocal);
    SchemaMigrator migrator = new SchemaMigrator(vertx, config);
    return healthConsumers
        .ready()
        .compose(v -> migrator.migrate())
        .compose(
            applied -> serve(consumers, entities),
            err -> {
              if (!PgErrors.isUnavailable(err)) {
                return Future.failedFuture(err);
              }
              // PostgreSQL is down at start: keep running (health says disconnected) and retry with
              // backoff
              LOG.warn(
                  "oplog: PostgreSQL {} unreachable at start ({}); health reports disconnected, retrying the migration with backoff",
                  config.describeTarget(),
                  PgErrors.describe(err));
              retryStart(
                  migrator,
                  new Backoff(config.reconnectInitialBackoffMs(), config.reconnectMaxBackoffMs()),
                  consumers,
                  entities);
              return Future.succeededFuture();
            })
        .onSuccess(
            v ->
                LOG.info(
                    "oplog verticle started on node {}: {}",
                    config.nodeId(),
                    leaderLock.state().wireName()))
        .onFailure(
            e -> {
              LOG.error("oplog verticle failed to start: {}", e.toString());
              scheduler.shutdown(Duration.ZERO);
              healthConsumers.unregisterAll();
              if (readConsumers != null) {
                readConsumers.unregisterAll();
              }
              pool.close();
              compactionPool.close();
              breaker.close();
            });
  }

  /** A pool of at most {@code size} sessions, through the PostgreSQL breaker. */
  private Pool pool(String name, int size) {
    return new GuardedPool(
        PgBuilder.pool()
            .with(
                new PoolOptions()
                    .setMaxSize(size)
                    .setConnectionTimeout(config.connectTimeoutMs())
                    .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS)
                    .setName(name + deploymentID()))
            .with(
                new NetClientOptions()
                    .setConnectTimeout(config.connectTimeoutMs())
                    .setTcpKeepAlive(true))
            .connectingTo(config.connectOptions())
            .using(vertx)
            .build(),
        breaker);
  }

  /**
   * After the schema is in place: read consumers, the refresh job, and the contest for the leader
   * lock.
   */
  private Future<Void> serve(OplogConsumers consumers, EntityManager entities) {
    if (readConsumers != null) {
      return Future.succeededFuture(); // already serving (a retry raced a success)
    }
    readConsumers = consumers.read();
    return readConsumers
        .ready()
        .compose(
            v -> {
              Duration interval = Duration.ofMillis(config.entityRefreshIntervalMs());
              // only the leader publishes the periodic refresh; standbys would duplicate it
              scheduler.schedule(
                  REFRESH_JOB,
                  interval,
                  interval,
                  ctx ->
                      leaderLock.state() == LeaderState.LEADER
                          ? entities
                              .refreshAndPublish()
                              .compose(n -> entities.purger().resumePending().otherwise(0).map(n))
                          : Future.succeededFuture());
              if (config.compactionIntervalMs() > 0) {
                Duration every = Duration.ofMillis(config.compactionIntervalMs());
                // leader only, like the refresh: the runs write through the leader's queue
                scheduler.schedule(
                    COMPACTION_JOB,
                    every,
                    every,
                    ctx ->
                        leaderLock.state() == LeaderState.LEADER
                            ? compactor.run("scheduled").mapEmpty()
                            : Future.succeededFuture());
              }
              return leaderLock.start();
            })
        .mapEmpty();
  }

  private void retryStart(
      SchemaMigrator migrator, Backoff backoff, OplogConsumers consumers, EntityManager entities) {
    long delay = backoff.failed();
    vertx.setTimer(
        delay,
        t -> {
          if (stopped) {
            return;
          }
          migrator
              .migrate()
              .compose(applied -> serve(consumers, entities))
              .onComplete(
                  ar -> {
                    if (ar.succeeded()) {
                      LOG.info(
                          "oplog: recovered after {} consecutive error(s): PostgreSQL reachable, serving ({})",
                          backoff.consecutiveErrors(),
                          leaderLock.state().wireName());
                      backoff.succeeded();
                    } else if (!stopped) {
                      LOG.warn(
                          "oplog: PostgreSQL still unreachable ({} consecutive): {}",
                          backoff.consecutiveErrors(),
                          PgErrors.describe(ar.cause()));
                      retryStart(migrator, backoff, consumers, entities);
                    }
                  });
        });
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    List<Future<?>> steps = new ArrayList<>();
    if (healthConsumers != null) {
      steps.add(healthConsumers.unregisterAll());
    }
    if (scheduler != null) {
      steps.add(scheduler.shutdown(Duration.ofSeconds(5)));
    }
    if (leadership != null) {
      steps.add(leadership.unregisterWriteConsumers());
    }
    if (readConsumers != null) {
      steps.add(readConsumers.unregisterAll());
    }
    // let committed-in-progress and queued writes finish (bounded), then close the writer session,
    // which releases the leader lock
    Future<Void> drained =
        writeQueue == null ? Future.succeededFuture() : writeQueue.drain(STOP_DRAIN_MS);
    steps.add(
        drained.eventually(
            () -> {
              if (writeQueue != null) {
                writeQueue.detach("oplog verticle stopped");
              }
              return leaderLock == null ? Future.succeededFuture() : leaderLock.stop();
            }));
    return Future.join(steps)
        .eventually(() -> pool == null ? Future.succeededFuture() : pool.close())
        .eventually(
            () -> compactionPool == null ? Future.succeededFuture() : compactionPool.close())
        .onComplete(
            ar -> {
              if (breaker != null) {
                breaker.close();
              }
            })
        .onComplete(
            ar ->
                LOG.info(
                    "oplog verticle stopped on node {}", config == null ? "?" : config.nodeId()));
  }
}
