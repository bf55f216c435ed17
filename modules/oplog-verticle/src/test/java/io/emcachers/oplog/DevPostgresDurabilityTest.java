package io.emcachers.oplog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Issue 9, item 13: the embedded PostgreSQL of tests, `run --embedded` and dev-services never acks
 * a commit it could lose.
 */
class DevPostgresDurabilityTest extends PostgresTestBase {

  @Test
  void commitsAreDurable() {
    assertEquals(
        "on",
        OplogTestSupport.query(pg, "SHOW synchronous_commit").get(0).get("synchronous_commit"));
    assertEquals("on", OplogTestSupport.query(pg, "SHOW fsync").get(0).get("fsync"));
    assertEquals(
        "on", OplogTestSupport.query(pg, "SHOW full_page_writes").get(0).get("full_page_writes"));
  }
}
