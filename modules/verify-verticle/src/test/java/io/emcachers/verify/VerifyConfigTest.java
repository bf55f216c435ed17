package io.emcachers.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class VerifyConfigTest {

  static JsonObject root(JsonObject verify) {
    return new JsonObject()
        .put("data_dir", "/tmp/emc")
        .put("node_id", "n1")
        .put("mongo", new JsonObject().put("url", "mongodb://127.0.0.1:27017/shop"))
        .put("verify", verify);
  }

  @Test
  void defaults() {
    VerifyConfig c = VerifyConfig.fromJson(root(new JsonObject()));
    assertEquals(VerifyConfig.DEFAULT_PAGE_DOCS, c.pageDocs());
    assertEquals(5000, c.maxDocsPerSecond());
    assertEquals(4096, c.buckets());
    assertEquals(10_000, c.maxCandidates());
    assertEquals(60_000, c.recheckTimeoutMs());
    assertEquals(1000, c.settleMs());
    assertEquals(250, c.progressIntervalMs());
    assertEquals(0, c.intervalMs());
    assertFalse(c.scheduledRepair());
    assertEquals("shop", c.database());
    assertEquals("n1", c.nodeId());
    assertEquals(Path.of("/tmp/emc", "verify"), c.progressDir());
  }

  @Test
  void readsEveryKey() {
    VerifyConfig c =
        VerifyConfig.fromJson(
            root(
                new JsonObject()
                    .put("page_docs", 200)
                    .put("max_docs_per_second", 0)
                    .put("buckets", 16)
                    .put("max_candidates", 5)
                    .put("recheck_timeout_ms", 1000)
                    .put("settle_ms", 0)
                    .put("progress_interval_ms", 0)
                    .put("interval_ms", 3_600_000)
                    .put("scheduled_repair", true)));
    assertEquals(200, c.pageDocs());
    assertEquals(0, c.maxDocsPerSecond());
    assertEquals(16, c.buckets());
    assertEquals(5, c.maxCandidates());
    assertEquals(1000, c.recheckTimeoutMs());
    assertEquals(0, c.settleMs());
    assertEquals(0, c.progressIntervalMs());
    assertEquals(3_600_000, c.intervalMs());
    assertTrue(c.scheduledRepair());
  }

  @Test
  void theShippedConfigParses() throws Exception {
    Path shipped = Path.of("../../conf/config.json");
    JsonObject root = new JsonObject(Files.readString(shipped));
    VerifyConfig c = VerifyConfig.fromJson(root);
    assertEquals(VerifyConfig.DEFAULT_BUCKETS, c.buckets());
    assertEquals(VerifyConfig.DEFAULT_MAX_DOCS_PER_SECOND, c.maxDocsPerSecond());
  }

  @Test
  void badValuesNameTheKey() {
    assertMessage("verify.page_docs must be >= 1, got 0", new JsonObject().put("page_docs", 0));
    assertMessage(
        "verify.page_docs must be <= 5000, got 5001", new JsonObject().put("page_docs", 5001));
    assertMessage(
        "verify.max_docs_per_second must be >= 0, got -1",
        new JsonObject().put("max_docs_per_second", -1));
    assertMessage(
        "verify.buckets must be <= 65536, got 70000", new JsonObject().put("buckets", 70000));
    assertMessage(
        "verify.max_candidates must be >= 1, got 0", new JsonObject().put("max_candidates", 0));
    assertMessage(
        "verify.recheck_timeout_ms must be >= 1, got 0",
        new JsonObject().put("recheck_timeout_ms", 0));
    assertMessage("verify.settle_ms must be >= 0, got -1", new JsonObject().put("settle_ms", -1));
    assertMessage(
        "verify.progress_interval_ms must be <= 60000, got 60001",
        new JsonObject().put("progress_interval_ms", 60_001));
    assertMessage(
        "verify.interval_ms must be >= 0, got -5", new JsonObject().put("interval_ms", -5));
    assertMessage(
        "verify.scheduled_repair must be true or false, got yes",
        new JsonObject().put("scheduled_repair", "yes"));
  }

  @Test
  void aSectionThatIsNotAnObjectFails() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> VerifyConfig.fromJson(root(null).put("verify", "x")));
    assertTrue(e.getMessage().startsWith("verify must be an object"), e.getMessage());
  }

  @Test
  void mongoUrlMustNameTheDatabase() {
    JsonObject r = root(new JsonObject());
    r.getJsonObject("mongo").put("url", "mongodb://127.0.0.1:27017");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> VerifyConfig.fromJson(r));
    assertTrue(e.getMessage().contains("mongo.url must name the database"), e.getMessage());
  }

  private static void assertMessage(String expected, JsonObject verify) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> VerifyConfig.fromJson(root(verify)));
    assertTrue(e.getMessage().startsWith(expected), e.getMessage());
  }
}
