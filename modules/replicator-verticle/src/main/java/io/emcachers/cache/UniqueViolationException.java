package io.emcachers.cache;

/**
 * The cache's data violates one of the shape's unique indexes: creating the index after a rebuild's
 * bulk load failed, or a batch would have written a second row with the same key. No retry fixes
 * it; the cache of this identity is marked failed until the data or the shape changes (the last
 * good file keeps serving).
 */
public final class UniqueViolationException extends RuntimeException {

  public UniqueViolationException(String message, Throwable cause) {
    super(message, cause);
  }
}
