package io.emcachers.listener.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.model.Operation;
import io.emcachers.listener.ManualClock;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Batch boundaries and idle-checkpoint timing, with a clock the test moves (no sleeps). */
class StreamBatcherTest {

  static List<OplogEntry> entries(int n) {
    List<OplogEntry> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new OplogEntry(Operation.Delete, "e", "d" + i, null));
    }
    return out;
  }

  static JsonObject t(String s) {
    return new JsonObject().put("_data", s);
  }

  @Test
  void aBatchHoldsAtMostNEntriesAndCarriesTheLastEventsToken() {
    StreamBatcher b = new StreamBatcher(3, 10_000, new ManualClock(1_000_000), 0);
    assertFalse(b.hasContent());
    b.add(entries(2), t("01"));
    assertFalse(b.full());
    assertTrue(b.wouldOverflow(2), "two more do not fit beside two: send first");
    assertFalse(b.wouldOverflow(1));
    b.add(entries(1), t("02"));
    assertTrue(b.full());
    StreamBatcher.Taken taken = b.take();
    assertEquals(3, taken.entries().size());
    assertEquals(t("02"), taken.token());
    assertFalse(b.hasContent());
    assertFalse(b.wouldOverflow(10), "an empty batch takes a fan-out of any size");
    b.add(entries(0), null);
    assertFalse(b.hasContent(), "an event without token or entries adds nothing");
  }

  @Test
  void anIdleCheckpointIsDueOnlyOnceTheIntervalPassedSinceTheLastSend() {
    ManualClock clock = new ManualClock(1_000_000);
    StreamBatcher b = new StreamBatcher(100, 10_000, clock, 0);
    b.idleToken(t("05"), null);
    assertTrue(b.checkpointDue(), "never sent: the first idle token is persisted at once");
    assertEquals(t("05"), b.take().token());
    assertEquals(1_000_000, b.lastTakenAt());

    b.idleToken(t("05"), null);
    assertFalse(b.hasContent(), "the same token again is nothing new");
    b.idleToken(t("06"), null);
    assertTrue(b.hasContent());
    clock.advance(9_999);
    assertFalse(b.checkpointDue(), "within the interval");
    clock.advance(1);
    assertTrue(b.checkpointDue(), "the interval passed");
    b.add(entries(1), null);
    assertFalse(b.checkpointDue(), "entries go as a batch, not as a checkpoint");
    StreamBatcher.Taken withEntries = b.take();
    assertEquals(t("06"), withEntries.token(), "the unsent idle token rides along");

    b.idleToken(t("07"), t("07"));
    assertFalse(b.hasContent(), "a token already acked is not sent again");
  }

  @Test
  void theLastSendTimeCarriesOverToTheNextAttempt() {
    ManualClock clock = new ManualClock(50_000);
    StreamBatcher next = new StreamBatcher(100, 10_000, clock, 45_000);
    next.idleToken(t("09"), null);
    assertFalse(next.checkpointDue(), "5 s after the previous attempt's last send");
    clock.advance(5_000);
    assertTrue(next.checkpointDue());
    next.clear();
    assertFalse(next.hasContent());
    assertNull(next.take().token());
  }

  @Test
  void aBatchCarriesTheClusterTimeOfThePositionItMovesTo() {
    StreamBatcher b = new StreamBatcher(10, 10_000, new ManualClock(1_000_000), 0);
    b.add(entries(1), t("01"), 7L);
    b.add(entries(1), t("02"), 9L);
    StreamBatcher.Taken taken = b.take();
    assertEquals(9L, taken.clusterTime(), "the last event's cluster time");
    b.add(entries(1), t("03"), null);
    assertEquals(9L, b.take().clusterTime(), "an event without one keeps the mark");
    // a MongoDB post-batch resume token: 0x82 + the 8-byte timestamp (seconds 0x65000000, inc 3)
    b.idleToken(t("8265000000000000030461"), null);
    assertEquals((0x65000000L << 32) | 3, b.take().clusterTime());
    b.add(entries(0), null, 11L);
    assertFalse(b.hasContent(), "a time without a token moves no position");
  }

  @Test
  void onlyMongoDbTokensTellATime() {
    assertEquals((0x65000000L << 32) | 3, ResumeTokens.clusterTime(t("8265000000000000030461")));
    assertNull(ResumeTokens.clusterTime(t("6500000000000003")), "the test server's form");
    assertNull(ResumeTokens.clusterTime(t("82zz")));
    assertNull(ResumeTokens.clusterTime(new JsonObject()));
    assertNull(ResumeTokens.clusterTime(null));
  }
}
