package io.emcachers.listener.scan;

import io.emcachers.core.projection.BsonJson;
import org.bson.BsonValue;

/**
 * Where one scan stands (its offset context): the attempt's epoch and whether it continues an
 * interrupted attempt, the chosen start, and the last {@code _id} whose batch the oplog side acked,
 * with the documents counted so far. It survives the scan's retries, so a retry continues from the
 * last acked batch; it only moves through acks.
 */
final class ScanProgress {

  private boolean attemptChosen;
  private boolean continuing;
  private long epoch;
  private boolean startChosen;
  private BsonValue lastId;
  private long scanned;
  private long estimated = -1;

  /**
   * Step 1 is done: a new attempt began (or, {@code continuing}, an interrupted one goes on) with
   * {@code epoch}.
   */
  void attempt(long epoch, boolean continuing) {
    this.epoch = epoch;
    this.continuing = continuing;
    this.attemptChosen = true;
  }

  boolean attemptChosen() {
    return attemptChosen;
  }

  boolean continuing() {
    return continuing;
  }

  long epoch() {
    return epoch;
  }

  /**
   * Step 3 is done: read after {@code last} (null: from the first _id), {@code scannedBefore}
   * already counted.
   */
  void start(BsonValue last, long scannedBefore, long estimatedTotal) {
    lastId = last;
    scanned = last == null ? 0 : scannedBefore;
    estimated = estimatedTotal;
    startChosen = true;
  }

  boolean startChosen() {
    return startChosen;
  }

  /** A scan batch ending at {@code last} with {@code count} documents was acked. */
  void acked(BsonValue last, int count) {
    lastId = last;
    scanned += count;
  }

  BsonValue lastId() {
    return lastId;
  }

  long scanned() {
    return scanned;
  }

  long estimated() {
    return estimated;
  }

  Object lastIdJson() {
    return lastId == null ? null : BsonJson.toJsonValue(lastId);
  }
}
