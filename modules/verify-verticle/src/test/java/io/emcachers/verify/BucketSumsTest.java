package io.emcachers.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.verify.VerifyHash;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The source-side bucket accounting agrees with the cache's digest rule ({@link VerifyHash}). */
class BucketSumsTest {

  /** The cache's digest, computed independently from the documented rule. */
  static List<List<Long>> digest(List<String> ids, int buckets) {
    List<Long> counts = new ArrayList<>(Collections.nCopies(buckets, 0L));
    List<Long> sums = new ArrayList<>(Collections.nCopies(buckets, 0L));
    for (String id : ids) {
      int b = VerifyHash.bucket(id, buckets);
      counts.set(b, counts.get(b) + 1);
      sums.set(b, sums.get(b) + VerifyHash.hash(id));
    }
    return List.of(counts, sums);
  }

  static List<String> ids(int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(i % 3 == 0 ? "~n:" + i : "doc-" + i);
    }
    return out;
  }

  @Test
  void sameIdsInAnyOrderGiveNoDifferingBucket() {
    List<String> ids = ids(5000);
    BucketSums s = new BucketSums(64);
    List<String> shuffled = new ArrayList<>(ids);
    Collections.shuffle(shuffled, new Random(7));
    shuffled.forEach(s::add);
    List<List<Long>> d = digest(ids, 64);
    assertEquals(List.of(), s.differing(d.get(0), d.get(1)));
    assertEquals(5000, s.total());
  }

  @Test
  void anExtraIdOnTheCacheSideShowsInExactlyItsBucket() {
    List<String> ids = ids(1000);
    BucketSums s = new BucketSums(128);
    ids.forEach(s::add);
    List<String> cache = new ArrayList<>(ids);
    cache.add("extra-1");
    List<List<Long>> d = digest(cache, 128);
    assertEquals(List.of(VerifyHash.bucket("extra-1", 128)), s.differing(d.get(0), d.get(1)));
  }

  @Test
  void aSwappedIdWithTheSameCountStillDiffersBySum() {
    // two ids of one bucket: the cache holds the other one, counts agree, sums do not
    int buckets = 4;
    String a = "a";
    String other = null;
    for (int i = 0; other == null; i++) {
      if (VerifyHash.bucket("b" + i, buckets) == VerifyHash.bucket(a, buckets)) {
        other = "b" + i;
      }
    }
    BucketSums s = new BucketSums(buckets);
    s.add(a);
    List<List<Long>> d = digest(List.of(other), buckets);
    int b = VerifyHash.bucket(a, buckets);
    assertEquals(d.get(0).get(b), s.count(b));
    assertEquals(List.of(b), s.differing(d.get(0), d.get(1)));
  }

  @Test
  void sumsWrapAroundLikeTheCache() {
    BucketSums s = new BucketSums(1);
    List<String> ids = ids(20_000);
    ids.forEach(s::add);
    long expected = 0;
    for (String id : ids) {
      expected += VerifyHash.hash(id); // overflow mod 2^64
    }
    assertEquals(expected, s.sum(0));
  }

  @Test
  void storedAndRestoredExactly() {
    BucketSums s = new BucketSums(4096);
    ids(3000).forEach(s::add);
    BucketSums back = BucketSums.fromJson(s.toJson(), 4096);
    for (int i = 0; i < 4096; i++) {
      assertEquals(s.count(i), back.count(i));
      assertEquals(s.sum(i), back.sum(i));
    }
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> BucketSums.fromJson(s.toJson(), 16));
    assertTrue(e.getMessage().contains("4096 buckets"), e.getMessage());
  }

  @Test
  void memoryDoesNotGrowWithIds() {
    BucketSums s = new BucketSums(16);
    ids(50_000).forEach(s::add);
    assertEquals(16, s.buckets());
    assertEquals(50_000, s.total());
    assertTrue(s.toJson().encode().length() < 1000);
  }

  @Test
  void aDigestOfAnotherSizeIsRefused() {
    BucketSums s = new BucketSums(8);
    assertThrows(IllegalArgumentException.class, () -> s.differing(List.of(0L), List.of(0L)));
  }
}
