package io.emcachers.oplog.writer;

import java.util.concurrent.atomic.AtomicLong;

/** The highest committed oplog id this node knows of (0 before anything was read or written). */
public final class OplogHead {

  private final AtomicLong head = new AtomicLong();

  /** Raises the known head to {@code id} when it is higher; returns the head after. */
  public long advance(long id) {
    return head.accumulateAndGet(id, Math::max);
  }

  /** Sets the head as read from PostgreSQL (may go down after an entity's rows were purged). */
  public void reset(long id) {
    head.set(id);
  }

  public long get() {
    return head.get();
  }
}
