package io.emcachers.core.validation;

import io.vertx.core.json.JsonArray;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Thrown when input does not validate; carries every field-level error found, not just the first.
 */
public class ValidationException extends RuntimeException {

  private final List<FieldError> errors;

  public ValidationException(List<FieldError> errors) {
    super(errors.stream().map(FieldError::toString).collect(Collectors.joining("; ")));
    this.errors = List.copyOf(errors);
  }

  public ValidationException(String field, String message) {
    this(List.of(new FieldError(field, message)));
  }

  public List<FieldError> errors() {
    return errors;
  }

  public JsonArray errorsJson() {
    JsonArray arr = new JsonArray();
    errors.forEach(e -> arr.add(e.toJson()));
    return arr;
  }
}
