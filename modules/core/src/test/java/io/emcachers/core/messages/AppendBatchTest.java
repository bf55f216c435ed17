package io.emcachers.core.messages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.Codecs;
import io.emcachers.core.model.Operation;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The sealed batch keeps the wire JSON of the former single record and travels a local bus as
 * itself.
 */
class AppendBatchTest {

  static final OplogEntry ENTRY =
      new OplogEntry(Operation.Upsert, "users", "u1", new JsonObject().put("a", 1), 2);

  @Test
  void streamBatchWireJsonIsTheFormerFormat() {
    JsonObject prev = new JsonObject().put("_data", "1");
    JsonObject token = new JsonObject().put("_data", "2");
    AppendBatch b = AppendBatch.streamAfter("users", prev, token, List.of(ENTRY));
    JsonObject expected =
        new JsonObject()
            .put("kind", "stream")
            .put("stream", "users")
            .put("resume_token", token)
            .putNull("scan_entity")
            .putNull("scan_last_id")
            .put("entries", new JsonArray().add(ENTRY.toJson()))
            .put("expected_token", new JsonObject().put("v", prev))
            .put("scan_epoch", 0L);
    assertEquals(expected, b.toJson());
    assertEquals(b, AppendBatch.fromJson(b.toJson()));
    assertEquals(AppendBatch.KIND_STREAM, b.kind());
    assertEquals(
        AppendBatch.stream("users", null, List.of()),
        AppendBatch.fromJson(AppendBatch.stream("users", null, List.of()).toJson()));
  }

  @Test
  void scanBatchWireJsonIsTheFormerFormat() {
    JsonObject last = new JsonObject().put("v", 7);
    AppendBatch b = AppendBatch.scan("users", 4, last, List.of(ENTRY));
    JsonObject expected =
        new JsonObject()
            .put("kind", "scan")
            .putNull("stream")
            .putNull("resume_token")
            .put("scan_entity", "users")
            .put("scan_last_id", last)
            .put("entries", new JsonArray().add(ENTRY.toJson()))
            .putNull("expected_token")
            .put("scan_epoch", 4L);
    assertEquals(expected, b.toJson());
    assertEquals(b, AppendBatch.fromJson(b.toJson()));
    assertEquals(AppendBatch.KIND_SCAN, b.kind());
    // a sender of the former format may omit scan_epoch: no generation check
    JsonObject noEpoch = expected.copy();
    noEpoch.remove("scan_epoch");
    assertEquals(AppendBatch.scan("users", last, List.of(ENTRY)), AppendBatch.fromJson(noEpoch));
  }

  @Test
  void aMissingOrUnknownKindIsRefused() {
    IllegalArgumentException none =
        assertThrows(
            IllegalArgumentException.class,
            () -> AppendBatch.fromJson(new JsonObject().put("entries", new JsonArray())));
    assertEquals("invalid append batch: kind is required (stream or scan)", none.getMessage());
    IllegalArgumentException bulk =
        assertThrows(
            IllegalArgumentException.class,
            () -> AppendBatch.fromJson(new JsonObject().put("kind", "bulk")));
    assertEquals(
        "invalid append batch: kind must be stream or scan, got 'bulk'", bulk.getMessage());
    assertEquals(io.emcachers.core.bus.ErrorCodes.BAD_REQUEST, Bus.codeOf(bulk));
  }

  @Test
  void bothRecordsTravelALocalBusAsThemselves() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Codecs.registerAll(vertx.eventBus());
      vertx
          .eventBus()
          .<Object>consumer(
              "test.batch", m -> Bus.handle(m, AppendBatch.class, Future::succeededFuture))
          .completion()
          .toCompletionStage()
          .toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      AppendBatch stream =
          AppendBatch.stream("users", new JsonObject().put("t", 1), List.of(ENTRY));
      AppendBatch scan = AppendBatch.scan("users", 2, new JsonObject().put("v", 1), List.of(ENTRY));
      AppendBatch streamBack =
          Bus.request(vertx.eventBus(), "test.batch", stream, AppendBatch.class)
              .toCompletionStage()
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS);
      AppendBatch scanBack =
          Bus.request(vertx.eventBus(), "test.batch", scan, AppendBatch.class)
              .toCompletionStage()
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS);
      assertSame(stream, streamBack, "a local message is the same immutable instance");
      assertInstanceOf(AppendBatch.ScanBatch.class, scanBack);
      assertSame(scan, scanBack);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
