package io.emcachers.cache;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.ErrorCodes;
import org.junit.jupiter.api.Test;

/** The statement check of read-only queries (the first of its four layers). */
class ReadOnlyQueryTest {

  @Test
  void acceptsOneSelectOrWith() {
    for (String sql :
        new String[] {
          "SELECT 1",
          "select * from t",
          "  -- c\n /* x */ SELECT 1;",
          "WITH a AS (SELECT 1) SELECT * FROM a",
          "SELECT 'a;b', \"c;d\", [e;f], `g;h`;  ;",
          "SELECT 'it''s; fine'"
        }) {
      assertDoesNotThrow(() -> ReadOnlyQuery.check(sql), sql);
    }
  }

  @Test
  void refusesEverythingElse() {
    for (String sql :
        new String[] {
          "INSERT INTO t VALUES (1)",
          "ATTACH 'x' AS y",
          "PRAGMA query_only=0",
          "SELECT 1; SELECT 2",
          "SELECT 1;\nDROP TABLE t",
          "/* SELECT */ DELETE FROM t",
          "(SELECT 1)",
          "REPLACE INTO t VALUES (1)",
          "VALUES (1)"
        }) {
      CacheException e = assertThrows(CacheException.class, () -> ReadOnlyQuery.check(sql), sql);
      assertEquals(ErrorCodes.FORBIDDEN, CacheErrors.code(e.kind()), sql);
    }
    CacheException multi =
        assertThrows(CacheException.class, () -> ReadOnlyQuery.check("SELECT 1; SELECT 2"));
    assertTrue(multi.getMessage().contains("exactly one statement"), multi.getMessage());
    CacheException insert =
        assertThrows(CacheException.class, () -> ReadOnlyQuery.check("insert into t values (1)"));
    assertTrue(insert.getMessage().contains("got INSERT"), insert.getMessage());
    assertEquals(
        ErrorCodes.BAD_REQUEST,
        CacheErrors.code(
            assertThrows(CacheException.class, () -> ReadOnlyQuery.check("  ")).kind()));
  }
}
