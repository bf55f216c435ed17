package io.emcachers.replicator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ReadSizeTest {

  @Test
  void behindTheHeadAReadGrowsWithTheEntitiesOfTheLastBatchUpToTheCap() {
    ReadSize size = new ReadSize(2000, 10_000);
    assertEquals(2000, size.next());
    size.observe(true, 1);
    assertEquals(2000, size.next(), "one entity: its transactions are already read_batch_size");
    size.observe(true, 3);
    assertEquals(6000, size.next());
    size.observe(true, 100);
    assertEquals(10_000, size.next(), "capped at max_read_batch_size");
    size.observe(true, 0);
    assertEquals(2000, size.next(), "a batch of entities this node does not hold");
  }

  @Test
  void atTheHeadOrAfterAnErrorItIsReadBatchSizeAgain() {
    ReadSize size = new ReadSize(500, 4000);
    size.observe(true, 8);
    assertEquals(4000, size.next());
    size.observe(false, 8);
    assertEquals(500, size.next());
    size.observe(true, 4);
    assertEquals(2000, size.next());
    size.reset();
    assertEquals(500, size.next());
  }

  @Test
  void aCapBelowTheBaseIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new ReadSize(500, 100));
    assertThrows(IllegalArgumentException.class, () -> new ReadSize(0, 100));
  }
}
