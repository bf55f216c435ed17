package io.emcachers.cache;

/** The cache file holds another shape than the entity's: the cache must be rebuilt. */
public final class ShapeMismatchException extends RuntimeException {

  private final long fileVersion;
  private final long entityVersion;

  public ShapeMismatchException(String entity, String fileHash, String entityHash, long fileVersion, long entityVersion) {
    super("cache of " + entity + " has shape " + fileHash + " (entity version " + fileVersion + "), entity has shape " + entityHash
        + " (version " + entityVersion + ")");
    this.fileVersion = fileVersion;
    this.entityVersion = entityVersion;
  }

  public long fileVersion() {
    return fileVersion;
  }

  public long entityVersion() {
    return entityVersion;
  }
}
