package io.emcachers.cache;

/**
 * The cache file is not a cache of the entity as it is now: another shape, another incarnation (the
 * entity was deleted and created again), another doc-id rule, or a file made before incarnation and
 * rule were recorded. The cache must be rebuilt from the oplog.
 */
public final class IdentityMismatchException extends RuntimeException {

  public IdentityMismatchException(String entity, String reason) {
    super("cache of " + entity + " " + reason);
  }
}
