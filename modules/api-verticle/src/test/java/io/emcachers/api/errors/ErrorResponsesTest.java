package io.emcachers.api.errors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.ErrorCodes;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class ErrorResponsesTest {

  @Test
  void validationTextBecomesFieldDetails() {
    String text =
        new JsonObject()
            .put("message", "invalid entity definition")
            .put(
                "errors",
                new JsonArray()
                    .add(new JsonObject().put("field", "name").put("message", "is required")))
            .encode();
    ApiException e =
        ErrorResponses.from(
            new ReplyException(ReplyFailure.RECIPIENT_FAILURE, ErrorCodes.VALIDATION, text),
            "emc.entities.create");
    assertEquals(400, e.status());
    assertEquals("validation_failed", e.code());
    assertEquals("invalid entity definition", e.getMessage());
    assertEquals("name", ((JsonArray) e.details()).getJsonObject(0).getString("field"));
  }

  @Test
  void codesMapThroughHttpStatus() {
    assertEquals(404, recipient(ErrorCodes.NOT_FOUND).status());
    assertEquals(409, recipient(ErrorCodes.CONFLICT).status());
    assertEquals(503, recipient(ErrorCodes.NOT_LEADER).status());
    assertEquals("not_leader", recipient(ErrorCodes.NOT_LEADER).code());
    assertEquals(503, recipient(-1).status());
    assertEquals(410, recipient(ErrorCodes.COMPACTED).status());
    assertEquals("compacted", recipient(ErrorCodes.COMPACTED).code());
    assertEquals(500, recipient(ErrorCodes.INTERNAL).status());
  }

  @Test
  void deliveryFailuresNameTheAddress() {
    ApiException none =
        ErrorResponses.from(
            new ReplyException(ReplyFailure.NO_HANDLERS, -1, "No handlers"), "emc.oplog.read");
    assertEquals(503, none.status());
    assertTrue(none.getMessage().contains("emc.oplog.read"));
    ApiException timeout =
        ErrorResponses.from(
            new ReplyException(ReplyFailure.TIMEOUT, -1, "Timed out"), "emc.oplog.read");
    assertEquals(504, timeout.status());
  }

  @Test
  void unexpectedExceptionsHideTheirText() {
    ApiException e = ErrorResponses.from(new NullPointerException("secret internals"), null);
    assertEquals(500, e.status());
    assertEquals("internal error", e.getMessage());
  }

  private static ApiException recipient(int code) {
    return ErrorResponses.from(
        new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, "text"), "emc.x");
  }
}
