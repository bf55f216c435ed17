package io.emcachers.replicator.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RendezvousTest {

  static List<String> entities(int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add("entity_" + i);
    }
    return out;
  }

  @Test
  void theHoldersDoNotDependOnTheOrderOfTheMemberList() {
    for (String e : entities(200)) {
      assertEquals(
          Rendezvous.holders(e, List.of("a", "b", "c", "d"), 2),
          Rendezvous.holders(e, List.of("d", "b", "a", "c"), 2));
    }
  }

  @Test
  void eachEntityGetsDistinctHoldersCappedByTheMembers() {
    for (String e : entities(50)) {
      List<String> h = Rendezvous.holders(e, List.of("a", "b", "c"), 2);
      assertEquals(2, h.size());
      assertEquals(2, h.stream().distinct().count());
      assertEquals(List.of("a"), Rendezvous.holders(e, List.of("a"), 2));
      assertEquals(3, Rendezvous.holders(e, List.of("a", "b", "c"), 5).size());
    }
  }

  @Test
  void aLeavingMemberMovesOnlyTheEntitiesItHeld() {
    List<String> four = List.of("n1", "n2", "n3", "n4");
    List<String> three = List.of("n1", "n2", "n4");
    for (String e : entities(500)) {
      List<String> before = Rendezvous.holders(e, four, 2);
      List<String> after = Rendezvous.holders(e, three, 2);
      if (!before.contains("n3")) {
        assertEquals(before, after, e + " did not involve n3 and must not move");
      } else {
        List<String> kept = new ArrayList<>(before);
        kept.remove("n3");
        assertTrue(after.containsAll(kept), e + ": the surviving holder keeps it");
      }
    }
  }

  @Test
  void theLoadIsSpreadEvenly() {
    Map<String, Integer> load = new HashMap<>();
    List<String> nodes = List.of("n1", "n2", "n3", "n4", "n5");
    for (String e : entities(5000)) {
      Rendezvous.holders(e, nodes, 2).forEach(n -> load.merge(n, 1, Integer::sum));
    }
    // 10,000 holdings over 5 nodes: 2,000 each; allow 10%
    for (String n : nodes) {
      int l = load.getOrDefault(n, 0);
      assertTrue(l > 1800 && l < 2200, n + " holds " + l + ": " + load);
    }
  }
}
