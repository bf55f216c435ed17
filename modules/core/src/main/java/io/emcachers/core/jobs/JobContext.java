package io.emcachers.core.jobs;

import io.vertx.core.Future;

/** What a running job sees: its name and the cancellation signal raised at shutdown. */
public interface JobContext {

  String name();

  /** True once the scheduler is shutting down. */
  boolean cancelled();

  /** Completes when the scheduler asks running jobs to stop. */
  Future<Void> onCancel();
}
