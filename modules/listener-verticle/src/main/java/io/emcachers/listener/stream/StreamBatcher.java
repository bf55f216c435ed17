package io.emcachers.listener.stream;

import io.emcachers.core.messages.OplogEntry;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * The append batch a stream is filling: at most N entries plus the token of the last event read,
 * and the idle-checkpoint rule (with nothing to send, a newer post-batch resume token is persisted
 * at most every {@code checkpoint_interval_ms}). Pure: time comes from the {@link Clock} passed in,
 * so the timing is unit-tested without waiting.
 */
final class StreamBatcher {

  /**
   * What one send takes out: the entries and the token the batch moves the position to (null:
   * none).
   */
  record Taken(List<OplogEntry> entries, JsonObject token, Long clusterTime) {}

  private final int maxEntries;
  private final long checkpointIntervalMs;
  private final Clock clock;
  private List<OplogEntry> entries = new ArrayList<>();
  private JsonObject token;
  private Long clusterTime;
  private boolean tokenDirty;
  private long lastTakenAt;

  /**
   * {@code lastTakenAt}: when this stream last sent a batch (epoch ms; 0: never), carried across
   * attempts.
   */
  StreamBatcher(int maxEntries, long checkpointIntervalMs, Clock clock, long lastTakenAt) {
    this.maxEntries = maxEntries;
    this.checkpointIntervalMs = checkpointIntervalMs;
    this.clock = clock;
    this.lastTakenAt = lastTakenAt;
  }

  /** True when {@code more} entries do not fit beside what is buffered: send the buffer first. */
  boolean wouldOverflow(int more) {
    return !entries.isEmpty() && entries.size() + more > maxEntries;
  }

  /**
   * Adds one event's entries; {@code eventToken} (null: none) becomes the position the batch moves
   * to.
   */
  void add(List<OplogEntry> more, JsonObject eventToken) {
    add(more, eventToken, null);
  }

  /**
   * As {@link #add(List, JsonObject)}; {@code eventClusterTime} (null: none) is the event's cluster
   * time, which the batch's position reaches with it.
   */
  void add(List<OplogEntry> more, JsonObject eventToken, Long eventClusterTime) {
    entries.addAll(more);
    if (eventToken != null) {
      token = eventToken;
      tokenDirty = true;
    }
    advance(eventClusterTime);
  }

  private void advance(Long time) {
    if (time != null && (clusterTime == null || time > clusterTime)) {
      clusterTime = time;
    }
  }

  /**
   * An empty getMore's post-batch resume token: kept when it is newer than what was read or acked.
   */
  void idleToken(JsonObject postBatchToken, JsonObject ackedToken) {
    if (!postBatchToken.equals(token) && !postBatchToken.equals(ackedToken)) {
      token = postBatchToken;
      tokenDirty = true;
      advance(ResumeTokens.clusterTime(postBatchToken));
    }
  }

  boolean full() {
    return entries.size() >= maxEntries;
  }

  boolean isEmpty() {
    return entries.isEmpty();
  }

  int size() {
    return entries.size();
  }

  /** Something to send: entries, or a token not sent yet. */
  boolean hasContent() {
    return !entries.isEmpty() || tokenDirty;
  }

  /**
   * No entries, a token not sent yet, and the last send is at least the checkpoint interval ago.
   */
  boolean checkpointDue() {
    return entries.isEmpty() && tokenDirty && clock.millis() - lastTakenAt >= checkpointIntervalMs;
  }

  /** Takes the batch to send (the token only when it was not sent yet) and notes the time. */
  Taken take() {
    Taken taken = new Taken(entries, tokenDirty ? token : null, tokenDirty ? clusterTime : null);
    entries = new ArrayList<>();
    tokenDirty = false;
    lastTakenAt = clock.millis();
    return taken;
  }

  long lastTakenAt() {
    return lastTakenAt;
  }

  /** Drops what was not sent (the attempt ended; it is re-read from the acked token). */
  void clear() {
    entries = new ArrayList<>();
    token = null;
    clusterTime = null;
    tokenDirty = false;
  }
}
