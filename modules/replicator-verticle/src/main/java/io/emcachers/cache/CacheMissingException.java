package io.emcachers.cache;

/**
 * The entity has no cache file yet: it is built from the entity's oplog rows before rows are
 * applied.
 */
public final class CacheMissingException extends RuntimeException {

  public CacheMissingException(String entity) {
    super("no cache file for entity " + entity + " yet");
  }
}
