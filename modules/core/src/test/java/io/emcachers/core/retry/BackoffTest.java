package io.emcachers.core.retry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void doublesFromTheInitialDelayUpToTheCapAndResetsOnSuccess() {
    Backoff b = new Backoff(200, 1000);
    assertEquals(200, b.failed());
    assertEquals(400, b.failed());
    assertEquals(800, b.failed());
    assertEquals(1000, b.failed());
    for (int i = 0; i < 100; i++) {
      assertEquals(1000, b.failed(), "never overflows past the cap");
    }
    assertEquals(104, b.consecutiveErrors());
    assertEquals(104, b.succeeded(), "a success reports the errors it ended");
    assertEquals(0, b.succeeded());
    assertEquals(200, b.failed());
  }

  @Test
  void delayOfTheNthRetry() {
    assertEquals(50, Backoff.delayMs(50, 500, 0));
    assertEquals(50, Backoff.delayMs(50, 500, 1));
    assertEquals(100, Backoff.delayMs(50, 500, 2));
    assertEquals(500, Backoff.delayMs(50, 500, 40));
  }

  @Test
  void rejectsBoundsThatMakeNoSense() {
    assertThrows(IllegalArgumentException.class, () -> new Backoff(0, 10));
    assertThrows(IllegalArgumentException.class, () -> new Backoff(10, 5));
  }
}
