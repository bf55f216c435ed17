package io.emcachers.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class OplogTest {

  static final Instant T = Instant.parse("2026-11-24T10:15:30.123Z");

  @Test
  void theOldConstructorMakesANonSyntheticRow() {
    Oplog row = new Oplog(1, Operation.Delete, "a", T, "users", null);
    assertFalse(row.synthetic());
    assertEquals(new Oplog(1, Operation.Delete, "a", T, "users", null, false), row);
  }

  @Test
  void syntheticRoundTripsAndDefaultsToFalseWhenAbsent() {
    Oplog repair =
        new Oplog(2, Operation.Upsert, "a", T, "users", new JsonObject().put("x", 1), true);
    JsonObject json = repair.toJson();
    assertEquals(true, json.getBoolean("synthetic"));
    assertEquals(repair, Oplog.fromJson(json));

    json.remove("synthetic");
    Oplog old = Oplog.fromJson(json);
    assertFalse(old.synthetic(), "a row from an older sender is not synthetic");
    assertTrue(Oplog.fromJson(repair.toJson()).synthetic());
  }
}
