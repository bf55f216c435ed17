package io.emcachers.listener.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import org.bson.BsonDocument;
import org.bson.BsonString;
import org.junit.jupiter.api.Test;

class ResumePositionTest {

  static JsonObject t(String s) {
    return new JsonObject().put("_data", s);
  }

  @Test
  void advancesOnlyOverAContiguousAckedPrefix() {
    ResumePosition p = new ResumePosition("c", t("00"));
    assertTrue(p.continuous());
    ResumePosition.Pending a = p.sent(t("01"));
    ResumePosition.Pending b = p.sent(t("02"));
    ResumePosition.Pending c = p.sent(null);
    p.acked(b);
    assertEquals(t("00"), p.ackedToken(), "b acked before a: no advance");
    p.acked(a);
    assertEquals(t("02"), p.ackedToken());
    p.acked(c);
    assertEquals(t("02"), p.ackedToken(), "a batch without a token keeps the position");
    assertEquals(new BsonDocument("_data", new BsonString("02")), p.resumeAfter());
  }

  @Test
  void discardedBatchesNoLongerMoveThePosition() {
    ResumePosition p = new ResumePosition("c", null);
    assertFalse(p.continuous());
    assertNull(p.resumeAfter());
    ResumePosition.Pending a = p.sent(t("01"));
    p.discardUnacked();
    p.acked(a);
    assertNull(p.ackedToken());
    ResumePosition.Pending b = p.sent(t("05"));
    p.acked(b);
    assertEquals(t("05"), p.ackedToken());
    p.reset();
    assertNull(p.ackedToken());
    assertEquals(0, p.unackedCount());
  }

  @org.junit.jupiter.api.Test
  void eachBatchFollowsThePreviousSentTokenAndAFailureResyncsFromTheStoredOne() {
    io.vertx.core.json.JsonObject t0 = new io.vertx.core.json.JsonObject().put("t", 0);
    io.vertx.core.json.JsonObject t1 = new io.vertx.core.json.JsonObject().put("t", 1);
    io.vertx.core.json.JsonObject t2 = new io.vertx.core.json.JsonObject().put("t", 2);
    ResumePosition p = new ResumePosition("users", t0);
    org.junit.jupiter.api.Assertions.assertEquals(t0, p.expectedNext());
    ResumePosition.Pending b1 = p.sent(t1);
    org.junit.jupiter.api.Assertions.assertEquals(
        t1, p.expectedNext(), "batch 2 follows batch 1's token");
    p.sent(null);
    org.junit.jupiter.api.Assertions.assertEquals(
        t1, p.expectedNext(), "a batch without a token moves no position");
    p.sent(t2);
    // batch 1 failed: everything after it is discarded; the oplog side refused the later batches
    p.discardUnacked();
    p.resync(t0);
    org.junit.jupiter.api.Assertions.assertEquals(
        t0, p.ackedToken(), "resume after what really committed");
    org.junit.jupiter.api.Assertions.assertEquals(t0, p.expectedNext());
    p.acked(b1); // a late ack of a discarded batch changes nothing
    org.junit.jupiter.api.Assertions.assertEquals(t0, p.ackedToken());

    // position lost: stream from "now", but the next batch still follows the token the oplog side
    // holds
    p.reset();
    p.resync(t0);
    org.junit.jupiter.api.Assertions.assertNull(p.ackedToken());
    org.junit.jupiter.api.Assertions.assertEquals(t0, p.expectedNext());
    ResumePosition.Pending fresh = p.sent(t2);
    p.acked(fresh);
    org.junit.jupiter.api.Assertions.assertEquals(t2, p.ackedToken());
    p.resync(t2);
    org.junit.jupiter.api.Assertions.assertEquals(
        t2, p.ackedToken(), "after the first ack a resync resumes from the stored token again");
  }
}
