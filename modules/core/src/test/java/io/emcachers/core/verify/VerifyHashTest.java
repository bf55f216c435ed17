package io.emcachers.core.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Fixed values (computed outside the JVM with {@code sha256sum}), so every node agrees. */
class VerifyHashTest {

  @Test
  void hashIsTheFirstEightBytesOfSha256BigEndian() {
    assertEquals(0xe3b0c44298fc1c14L, VerifyHash.hash(""));
    assertEquals(0xca978112ca1bbdcaL, VerifyHash.hash("a"));
    assertEquals(-4511262827389197515L, VerifyHash.hash("ü-1")); // UTF-8 bytes, not UTF-16
    assertEquals(602618541951272188L, VerifyHash.hash("~n:1"));
    assertEquals(0xb514a686c55d063bL, VerifyHash.hash("65a1b2c3d4e5f60718293a4b"));
  }

  @Test
  void bucketIsTheFloorModOfTheHash() {
    assertEquals(36, VerifyHash.bucket("", 1000));
    assertEquals(634, VerifyHash.bucket("a", 1000));
    assertEquals(485, VerifyHash.bucket("ü-1", 1000));
    assertEquals(188, VerifyHash.bucket("~n:1", 1000));
    assertEquals(395, VerifyHash.bucket("65a1b2c3d4e5f60718293a4b", 1000));
    assertEquals(6, VerifyHash.bucket("", 7));
    assertEquals(0, VerifyHash.bucket("a", 1));
    for (int i = 0; i < 1000; i++) {
      int b = VerifyHash.bucket("doc-" + i, 65536);
      assertTrue(b >= 0 && b < 65536);
    }
  }

  @Test
  void rejectsBadArguments() {
    assertThrows(IllegalArgumentException.class, () -> VerifyHash.hash(null));
    assertThrows(IllegalArgumentException.class, () -> VerifyHash.bucket("a", 0));
  }
}
