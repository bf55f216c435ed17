package io.emcachers.listener.stream;

import io.emcachers.core.projection.BsonJson;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.Deque;
import org.bson.BsonDocument;

/**
 * Where one change stream resumes: the token the oplog side has committed for it. The position only
 * advances through acks, and only over a contiguous prefix of the batches sent: if batch i fails,
 * an ack of batch i+1 does not move it past batch i. {@link #continuous()} tells whether the
 * current cursor chain started from a token stored by the oplog side (so a scan interrupted by a
 * restart may continue from its persisted progress).
 *
 * <p>Every batch is sent with the token it follows ({@link #expectedNext()}): the token the oplog
 * side holds once every earlier batch of this stream has committed. The oplog side refuses a batch
 * whose predecessor did not commit, so the stored token never jumps over a lost batch. After any
 * failure the in-memory position is dropped and re-read from the oplog side ({@link #resync}).
 */
final class ResumePosition {

  private final String stream;
  private JsonObject ackedToken;
  private JsonObject tail;
  private boolean fresh;
  private boolean continuous;
  private long generation;
  private final Deque<Pending> unacked = new ArrayDeque<>();

  /** One sent batch's token, waiting for its ack. */
  static final class Pending {
    final long generation;
    final JsonObject token;
    boolean acked;

    Pending(long generation, JsonObject token) {
      this.generation = generation;
      this.token = token;
    }
  }

  ResumePosition(String stream, JsonObject storedToken) {
    this.stream = stream;
    this.ackedToken = storedToken;
    this.tail = storedToken;
    this.continuous = storedToken != null;
  }

  String stream() {
    return stream;
  }

  /** The committed token as JSON (null: none; the stream starts at "now"). */
  JsonObject ackedToken() {
    return ackedToken;
  }

  /** The committed token as BSON for {@code resumeAfter}, or null. */
  BsonDocument resumeAfter() {
    return ackedToken == null ? null : BsonJson.toBson(ackedToken);
  }

  boolean continuous() {
    return continuous;
  }

  /** The token the next batch follows: what the oplog side stores once every sent batch commits. */
  JsonObject expectedNext() {
    return tail;
  }

  /** Records a batch sent with {@code token} (may be null: the batch moves no position). */
  Pending sent(JsonObject token) {
    Pending p = new Pending(generation, token);
    unacked.addLast(p);
    if (token != null) {
      tail = token;
    }
    return p;
  }

  /**
   * Adopts the token the oplog side actually stores (re-read after a failure, once in-flight
   * batches settled). Unless the position was reset (streaming restarts at "now"), the stream
   * resumes after it.
   */
  void resync(JsonObject stored) {
    tail = stored;
    if (!fresh) {
      ackedToken = stored;
    }
  }

  /** The oplog side committed {@code p}: advance over every contiguous acked batch. */
  void acked(Pending p) {
    if (p.generation != generation) {
      return;
    }
    p.acked = true;
    while (!unacked.isEmpty() && unacked.peekFirst().acked) {
      Pending head = unacked.removeFirst();
      if (head.token != null) {
        ackedToken = head.token;
        fresh = false;
      }
    }
  }

  /** Forgets every unacked batch (a failure or a restart): later acks of them no longer count. */
  void discardUnacked() {
    generation++;
    unacked.clear();
  }

  /**
   * The stored position is unusable: the stream restarts at "now" and its entities are re-scanned.
   */
  void reset() {
    discardUnacked();
    ackedToken = null;
    fresh = true;
    continuous = false;
  }

  int unackedCount() {
    return unacked.size();
  }

  JsonObject toJson() {
    return new JsonObject()
        .put("stream", stream)
        .put("token", ackedToken)
        .put("expected_stored", tail)
        .put("continuous", continuous)
        .put("unacked", unacked.size());
  }
}
