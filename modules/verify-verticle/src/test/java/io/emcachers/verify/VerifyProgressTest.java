package io.emcachers.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.messages.VerifyJob;
import io.emcachers.core.projection.BsonJson;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.bson.BsonString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stored progress survives a round trip through its file exactly. */
class VerifyProgressTest {

  @TempDir Path dir;

  @Test
  void roundTripThroughTheFile() throws Exception {
    VerifyProgress p =
        new VerifyProgress("r1", "orders", "n1", true, Instant.parse("2026-01-02T03:04:05Z"), 64);
    p.epoch = 3;
    p.lastId = BsonJson.wrap(new BsonString("o-999"));
    p.docsChecked = 1000;
    p.matched = 998;
    p.candidates.put("o-5", VerifyProgress.MISSING);
    p.candidates.put("o-7", VerifyProgress.DIFFERENT);
    p.sums.add("o-1");
    p.sums.add("o-2");
    p.state = VerifyJob.STOPPED;
    Path f = dir.resolve("orders.json");
    ProgressStore.write(f, p.toJson().encode().getBytes());
    VerifyProgress back = VerifyProgress.fromJson(new JsonObject(Files.readString(f)), 64);
    assertEquals(p.toJson(), back.toJson());
    assertTrue(back.resumable());
    assertEquals("o-999", BsonJson.unwrap(back.lastId).asString().getValue());
    assertEquals(2, back.sums.total());
    assertEquals(1000, back.toJob(Instant.now()).counts().docsChecked());
    assertTrue(Files.list(dir).noneMatch(x -> x.toString().endsWith(".tmp")));
  }
}
