package io.emcachers.api.errors;

/**
 * An HTTP error with the API's one error shape: {@code {"error":{"code","message","details"}}}.
 * Thrown (or passed to {@code ctx.fail}) by handlers; {@link ErrorResponses} renders it.
 */
public class ApiException extends RuntimeException {

  private final int status;
  private final String code;
  private final Object details;

  public ApiException(int status, String code, String message, Object details) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.details = details;
  }

  public ApiException(int status, String code, String message) {
    this(status, code, message, null);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  /** A JSON value (object or array) or null. */
  public Object details() {
    return details;
  }

  public static ApiException badRequest(String message) {
    return new ApiException(400, "bad_request", message);
  }

  public static ApiException notFound(String message) {
    return new ApiException(404, "not_found", message);
  }

  /** 400 with one field-level error in {@code details}, the shape validation failures use. */
  public static ApiException invalidField(String field, String message) {
    return new ApiException(
        400,
        "validation_failed",
        field + " " + message,
        new io.vertx.core.json.JsonArray()
            .add(new io.vertx.core.json.JsonObject().put("field", field).put("message", message)));
  }
}
