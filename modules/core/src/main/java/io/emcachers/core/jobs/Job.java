package io.emcachers.core.jobs;

import io.vertx.core.Future;

/**
 * One run of a scheduled job. Long runs should check {@link JobContext#cancelled()} and stop early.
 */
@FunctionalInterface
public interface Job {
  Future<?> run(JobContext context);
}
