package io.emcachers.cache;

/**
 * A failure of the cache storage (the SQLite files and what is asked of them), by {@link Kind}.
 * Storage classes throw it; only the verticle edge turns it into a bus failure code ({@link
 * CacheErrors}). The message is meant for the caller and crosses the bus unchanged.
 */
public final class CacheException extends RuntimeException {

  /** What went wrong, as far as the caller is concerned. */
  public enum Kind {
    /** No cache of the entity on this node. */
    NOT_FOUND,
    /**
     * The request cannot be served as asked: invalid entity name, malformed row, bad query or
     * parameters.
     */
    INVALID,
    /** The query is not one read-only statement, or tried to write. */
    FORBIDDEN,
    /** The query ran past its time limit. */
    TIMEOUT,
    /** The cache exists but cannot serve yet (being initialised). Retriable. */
    UNAVAILABLE,
    /** The work was cancelled (a rebuild whose cache was dropped or whose node stops). */
    CANCELLED,
    /** Anything else SQLite reported. */
    FAILED
  }

  private final Kind kind;

  public CacheException(Kind kind, String message) {
    this(kind, message, null);
  }

  /**
   * @param cause what SQLite reported, or null
   */
  public CacheException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  static CacheException notFound(String entity) {
    return new CacheException(Kind.NOT_FOUND, "no cache of entity " + entity + " on this node");
  }

  static CacheException invalid(String what) {
    return new CacheException(Kind.INVALID, what);
  }
}
