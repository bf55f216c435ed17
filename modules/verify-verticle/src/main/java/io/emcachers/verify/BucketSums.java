package io.emcachers.verify;

import io.emcachers.core.verify.VerifyHash;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Per-bucket count and hash sum (mod 2^64) of a set of doc ids, the way the cache's {@code
 * emc.cache.verify.digest} computes them ({@link VerifyHash}). Memory is two {@code long}s per
 * bucket, whatever the number of ids. Adding is order-independent, so the source side (built page
 * by page) and the cache side (one scan) agree exactly when they hold the same ids.
 */
final class BucketSums {

  private final long[] counts;
  private final long[] sums;

  BucketSums(int buckets) {
    if (buckets < 1) {
      throw new IllegalArgumentException("buckets must be >= 1, got " + buckets);
    }
    this.counts = new long[buckets];
    this.sums = new long[buckets];
  }

  int buckets() {
    return counts.length;
  }

  /** Adds one doc id. */
  void add(String docId) {
    long h = VerifyHash.hash(docId);
    int b = (int) Math.floorMod(h, (long) counts.length);
    counts[b]++;
    sums[b] += h;
  }

  long count(int bucket) {
    return counts[bucket];
  }

  long sum(int bucket) {
    return sums[bucket];
  }

  long total() {
    long t = 0;
    for (long c : counts) {
      t += c;
    }
    return t;
  }

  /**
   * The buckets whose count or sum differ from {@code otherCounts}/{@code otherSums} (a cache
   * digest), in increasing order.
   */
  List<Integer> differing(List<Long> otherCounts, List<Long> otherSums) {
    if (otherCounts.size() != counts.length || otherSums.size() != sums.length) {
      throw new IllegalArgumentException(
          "digest has "
              + otherCounts.size()
              + "/"
              + otherSums.size()
              + " buckets, expected "
              + counts.length);
    }
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < counts.length; i++) {
      if (counts[i] != otherCounts.get(i) || sums[i] != otherSums.get(i)) {
        out.add(i);
      }
    }
    return out;
  }

  /** {@code {"buckets": n, "counts": base64, "sums": base64}} (big-endian longs). */
  JsonObject toJson() {
    return new JsonObject()
        .put("buckets", counts.length)
        .put("counts", encode(counts))
        .put("sums", encode(sums));
  }

  /** Inverse of {@link #toJson}; {@code buckets} must match. */
  static BucketSums fromJson(JsonObject json, int buckets) {
    BucketSums b = new BucketSums(buckets);
    if (json == null) {
      return b;
    }
    int n = json.getInteger("buckets", -1);
    if (n != buckets) {
      throw new IllegalArgumentException(
          "stored progress has " + n + " buckets, verify.buckets is " + buckets);
    }
    decode(json.getString("counts"), b.counts);
    decode(json.getString("sums"), b.sums);
    return b;
  }

  private static String encode(long[] values) {
    ByteBuffer buf = ByteBuffer.allocate(values.length * Long.BYTES);
    for (long v : values) {
      buf.putLong(v);
    }
    return Base64.getEncoder().encodeToString(buf.array());
  }

  private static void decode(String text, long[] into) {
    byte[] bytes = Base64.getDecoder().decode(text);
    if (bytes.length != into.length * Long.BYTES) {
      throw new IllegalArgumentException("stored bucket array has the wrong length");
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    for (int i = 0; i < into.length; i++) {
      into[i] = buf.getLong();
    }
  }
}
