package io.emcachers.verify;

import io.emcachers.core.client.BusCaller;
import io.emcachers.core.client.OplogClient;
import io.emcachers.core.messages.VerifyJob;
import io.emcachers.mongo.MongoSource;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.concurrent.CancellationException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One verification run of one entity on this node's cache, in five logged steps (see the README's
 * "Verification and repair"): 1. entity and cache, 2. source pass (pages in {@code _id} order,
 * rate-limited, compared with the cache, bucket sums of the ids the cache has), 3. extras (bucket
 * digests, then the cache's ids of differing buckets looked up in MongoDB), 4. re-check of every
 * candidate after the cache caught up, 5. repair (only with {@code repair}). Every step runs on the
 * verifier's event loop; progress is stored after every page.
 */
final class VerifyRun {

  private static final Logger LOG = LoggerFactory.getLogger(VerifyRun.class);

  /** A run stopped by {@link #stop()} (undeploy): its progress stays resumable. */
  static final class Stopped extends CancellationException {
    Stopped(String message) {
      super(message);
    }
  }

  /** What a run talks to. */
  record With(
      Vertx vertx,
      VerifyConfig config,
      OplogClient oplog,
      io.emcachers.core.client.EntitiesClient entities,
      BusCaller cache,
      MongoSource source,
      ProgressStore store,
      VerifyMetrics metrics,
      Clock clock) {}

  private final With with;
  private final VerifyProgress p;
  private final RunStep.RunContext ctx;

  VerifyRun(With with, VerifyProgress progress, Consumer<VerifyProgress> onProgress) {
    this.with = with;
    this.p = progress;
    this.ctx = new RunStep.RunContext(with, progress, onProgress);
  }

  VerifyProgress progress() {
    return p;
  }

  void stop() {
    ctx.stopping = true;
  }

  /** Runs (or resumes) to the end; completes with the final progress (never fails). */
  Future<VerifyProgress> run() {
    long t0 = System.nanoTime();
    return new EntityStep(ctx)
        .run()
        .compose(v -> inPhase(VerifyProgress.PHASE_SOURCE) ? new SourcePass(ctx).run() : done())
        .compose(v -> inPhase(VerifyProgress.PHASE_EXTRAS) ? new ExtrasStep(ctx).run() : done())
        .compose(v -> new Recheck(ctx).run())
        .compose(v -> new Repair(ctx).run())
        .transform(
            ar -> {
              p.finishedAt = with.clock().instant();
              if (ar.succeeded()) {
                p.state = VerifyJob.FINISHED;
                p.phase = VerifyProgress.PHASE_DONE;
                p.step = "done";
                VerifyJob job = p.toJob(p.finishedAt);
                with.metrics().finished(p.entity, p.finishedAt.toEpochMilli(), job.durationMs());
                LOG.info(
                    "verify {} finished in {} ms: {}", p.entity, job.durationMs(), job.counts());
              } else if (ar.cause() instanceof Stopped) {
                p.state = VerifyJob.STOPPED;
                p.finishedAt = null;
                LOG.info(
                    "verify {} stopped after {} documents; it resumes from its stored progress",
                    p.entity,
                    p.docsChecked);
              } else {
                p.state = VerifyJob.FAILED;
                p.error = ar.cause().getMessage();
                LOG.warn("verify {} failed: {}", p.entity, p.error);
              }
              LOG.debug("verify {}: session took {} ms", p.entity, (System.nanoTime() - t0) / 1e6);
              ctx.onProgress.accept(p);
              return with.store()
                  .save(p.toJson(), p.entity)
                  .transform(s -> Future.succeededFuture(p));
            });
  }

  private boolean inPhase(String phase) {
    return phase.equals(p.phase);
  }

  private static Future<Void> done() {
    return Future.succeededFuture();
  }
}
