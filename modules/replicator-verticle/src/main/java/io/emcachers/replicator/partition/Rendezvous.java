package io.emcachers.replicator.partition;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Rendezvous (highest-random-weight) hashing: the holders of an entity are the {@code replicas}
 * nodes with the highest weight {@code SHA-256(entity NUL node)} (first 8 bytes, unsigned; ties by
 * node id). Every node computes the same answer from the same member list, without coordination,
 * and a member joining or leaving moves only the entities it gains or held.
 */
public final class Rendezvous {

  private Rendezvous() {}

  /** The holders of {@code entity} among {@code nodes}, highest weight first. */
  public static List<String> holders(String entity, Collection<String> nodes, int replicas) {
    List<String> sorted = new ArrayList<>(nodes);
    sorted.sort(
        Comparator.<String>comparingLong(n -> weight(entity, n))
            .reversed()
            .thenComparing(Comparator.naturalOrder()));
    return List.copyOf(sorted.subList(0, Math.min(replicas, sorted.size())));
  }

  static long weight(String entity, String node) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(entity.getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
      md.update(node.getBytes(StandardCharsets.UTF_8));
      byte[] d = md.digest();
      long w = 0;
      for (int i = 0; i < 8; i++) {
        w = (w << 8) | (d[i] & 0xff);
      }
      return w ^ Long.MIN_VALUE; // unsigned order under signed comparison
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
