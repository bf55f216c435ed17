package io.emcachers.core.verify;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The hash the verifier and the caches agree on to split doc ids into buckets and to digest a
 * bucket's ids: {@link #hash} is the first 8 bytes, read big-endian as a signed {@code long}, of
 * the SHA-256 of the doc id's UTF-8 bytes. It depends on nothing but the text, so every JVM, node
 * and version computes the same value. A bucket digest is the sum of its ids' hashes mod 2^64
 * ({@code long} overflow), so it does not depend on the order the ids are read in.
 */
public final class VerifyHash {

  private static final ThreadLocal<MessageDigest> SHA256 =
      ThreadLocal.withInitial(
          () -> {
            try {
              return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
              throw new IllegalStateException("SHA-256 is not available", e);
            }
          });

  private VerifyHash() {}

  /**
   * The first 8 bytes (big-endian) of SHA-256(UTF-8 of {@code docId}).
   *
   * @throws IllegalArgumentException when {@code docId} is null
   */
  public static long hash(String docId) {
    if (docId == null) {
      throw new IllegalArgumentException("doc id is required");
    }
    MessageDigest md = SHA256.get();
    md.reset();
    byte[] h = md.digest(docId.getBytes(StandardCharsets.UTF_8));
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (h[i] & 0xFFL);
    }
    return v;
  }

  /**
   * The bucket of {@code docId} among {@code buckets}: {@code floorMod(hash(docId), buckets)}, in
   * {@code [0, buckets)}.
   *
   * @throws IllegalArgumentException when {@code buckets < 1} or {@code docId} is null
   */
  public static int bucket(String docId, int buckets) {
    if (buckets < 1) {
      throw new IllegalArgumentException("buckets must be >= 1, got " + buckets);
    }
    return (int) Math.floorMod(hash(docId), (long) buckets);
  }
}
