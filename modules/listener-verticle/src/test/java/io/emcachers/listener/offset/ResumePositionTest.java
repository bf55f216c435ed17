package io.emcachers.listener.offset;

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
}
