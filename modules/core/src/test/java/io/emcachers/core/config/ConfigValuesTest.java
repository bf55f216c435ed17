package io.emcachers.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class ConfigValuesTest {

  private static void assertMessage(String expected, Executable read) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, read);
    assertEquals(expected, e.getMessage());
  }

  private static JsonObject one(String key, Object value) {
    return new JsonObject().put(key, value);
  }

  // ---- section ----

  @Test
  void sectionReturnsTheObjectOrAnEmptyOne() {
    JsonObject listener = one("batch_max_entries", 10);
    JsonObject root = new JsonObject().put("listener", listener).putNull("api");
    assertSame(listener, ConfigValues.section(root, "listener"));
    assertEquals(new JsonObject(), ConfigValues.section(root, "api"));
    assertEquals(new JsonObject(), ConfigValues.section(root, "cache"));
  }

  @Test
  void sectionRejectsANonObject() {
    assertMessage(
        "cache must be an object, got x", () -> ConfigValues.section(one("cache", "x"), "cache"));
    assertMessage(
        "oplog must be an object, got 3", () -> ConfigValues.section(one("oplog", 3), "oplog"));
    assertMessage(
        "api must be an object, got [1]",
        () -> ConfigValues.section(one("api", new JsonArray().add(1)), "api"));
  }

  // ---- string / nonBlankString ----

  @Test
  void stringReturnsAnyStringOrTheDefault() {
    assertEquals("h", ConfigValues.string(one("host", "h"), "api.host", "host", "d"));
    assertEquals("", ConfigValues.string(one("key", ""), "api.key", "key", "d"));
    assertEquals("d", ConfigValues.string(new JsonObject(), "api.host", "host", "d"));
    assertEquals(
        "d", ConfigValues.string(new JsonObject().putNull("host"), "api.host", "host", "d"));
    assertEquals(null, ConfigValues.string(new JsonObject(), "api.key", "key", null));
  }

  @Test
  void stringRejectsANonString() {
    assertMessage(
        "api.host must be a string, got 5",
        () -> ConfigValues.string(one("host", 5), "api.host", "host", "d"));
    assertMessage(
        "api.host must be a string, got true",
        () -> ConfigValues.string(one("host", true), "api.host", "host", "d"));
  }

  @Test
  void nonBlankStringReturnsTheValueOrTheDefault() {
    assertEquals(
        "mongodb://h/db",
        ConfigValues.nonBlankString(one("url", "mongodb://h/db"), "mongo.url", "url", "d"));
    assertEquals("d", ConfigValues.nonBlankString(new JsonObject(), "mongo.url", "url", "d"));
  }

  @Test
  void nonBlankStringRejectsBlankAndNonStrings() {
    assertMessage(
        "data_dir must be a non-empty string, got ",
        () -> ConfigValues.nonBlankString(one("data_dir", ""), "data_dir", "data_dir", "d"));
    assertMessage(
        "data_dir must be a non-empty string, got   ",
        () -> ConfigValues.nonBlankString(one("data_dir", "  "), "data_dir", "data_dir", "d"));
    assertMessage(
        "mongo.url must be a non-empty string, got 7",
        () -> ConfigValues.nonBlankString(one("url", 7), "mongo.url", "url", "d"));
  }

  // ---- integer ----

  @Test
  void integerReadsIntegralNumbersWithinRange() {
    assertEquals(10, ConfigValues.integer(one("n", 10), "s.n", "n", 1, 1, 100));
    assertEquals(
        5_000_000_000L,
        ConfigValues.integer(one("n", 5_000_000_000L), "s.n", "n", 1, 1, Long.MAX_VALUE));
    assertEquals(
        7,
        ConfigValues.integer(one("n", 7.0), "s.n", "n", 1, 1, 100),
        "an integral double is accepted");
    assertEquals(
        -3, ConfigValues.integer(one("n", -3), "s.n", "n", 1, Long.MIN_VALUE, Long.MAX_VALUE));
    assertEquals(
        1, ConfigValues.integer(one("n", 1), "s.n", "n", 9, 1, 1), "the bounds are inclusive");
    assertEquals(
        42,
        ConfigValues.integer(new JsonObject(), "s.n", "n", 42, 1, 10),
        "the default is not range-checked");
    assertEquals(42, ConfigValues.integer(new JsonObject().putNull("n"), "s.n", "n", 42, 1, 100));
    assertEquals(
        Long.MAX_VALUE,
        ConfigValues.integer(
            new JsonObject("{\"n\":9223372036854775807}"), "s.n", "n", 0, 0, Long.MAX_VALUE));
  }

  @Test
  void integerRejectsNonIntegers() {
    assertMessage(
        "oplog.standby_retry_ms must be an integer, got \"soon\"",
        () ->
            ConfigValues.integer(
                one("standby_retry_ms", "soon"),
                "oplog.standby_retry_ms",
                "standby_retry_ms",
                1,
                1,
                10));
    assertMessage(
        "api.port must be an integer, got \"8080\"",
        () -> ConfigValues.integer(one("port", "8080"), "api.port", "port", 1, 0, 65535));
    assertMessage(
        "s.n must be an integer, got 1.5",
        () -> ConfigValues.integer(one("n", 1.5), "s.n", "n", 1, 0, 10));
    assertMessage(
        "s.n must be an integer, got true",
        () -> ConfigValues.integer(one("n", true), "s.n", "n", 1, 0, 10));
    assertMessage(
        "s.n must be an integer, got NaN",
        () -> ConfigValues.integer(one("n", Double.NaN), "s.n", "n", 1, 0, 10));
    assertMessage(
        "s.n must be an integer, got Infinity",
        () -> ConfigValues.integer(one("n", Double.POSITIVE_INFINITY), "s.n", "n", 1, 0, 10));
  }

  @Test
  void integerRejectsValuesOutOfRange() {
    assertMessage(
        "listener.batch_max_entries must be >= 1, got 0",
        () ->
            ConfigValues.integer(
                one("batch_max_entries", 0),
                "listener.batch_max_entries",
                "batch_max_entries",
                500,
                1,
                Integer.MAX_VALUE));
    assertMessage(
        "postgres.pool_size must be <= 1000, got 1001",
        () ->
            ConfigValues.integer(
                one("pool_size", 1001), "postgres.pool_size", "pool_size", 4, 1, 1000));
    assertMessage(
        "listener.scan_batch_size must be <= 2147483647, got 2147483648",
        () ->
            ConfigValues.integer(
                one("scan_batch_size", 2_147_483_648L),
                "listener.scan_batch_size",
                "scan_batch_size",
                1,
                1,
                Integer.MAX_VALUE));
    assertMessage(
        "s.n must be <= 9223372036854775807, got 1.0E20",
        () -> ConfigValues.integer(one("n", 1e20), "s.n", "n", 1, 1, Long.MAX_VALUE));
    assertMessage(
        "s.n must be >= -9223372036854775808, got -1.0E20",
        () -> ConfigValues.integer(one("n", -1e20), "s.n", "n", 1, Long.MIN_VALUE, Long.MAX_VALUE));
    BigInteger huge = BigInteger.TEN.pow(30);
    assertMessage(
        "s.n must be <= 100, got " + huge,
        () -> ConfigValues.integer(one("n", huge), "s.n", "n", 1, 1, 100));
    assertMessage(
        "s.n must be >= 1, got -" + huge,
        () -> ConfigValues.integer(one("n", huge.negate()), "s.n", "n", 1, 1, 100));
  }

  // ---- bool ----

  @Test
  void boolReadsBooleansOrTheDefault() {
    assertFalse(ConfigValues.bool(one("open_reads", false), "api.open_reads", "open_reads", true));
    assertTrue(ConfigValues.bool(one("open_reads", true), "api.open_reads", "open_reads", false));
    assertTrue(ConfigValues.bool(new JsonObject(), "api.open_reads", "open_reads", true));
    assertFalse(
        ConfigValues.bool(
            new JsonObject().putNull("open_reads"), "api.open_reads", "open_reads", false));
  }

  @Test
  void boolRejectsNonBooleans() {
    assertMessage(
        "api.open_reads must be true or false, got yes",
        () -> ConfigValues.bool(one("open_reads", "yes"), "api.open_reads", "open_reads", false));
    assertMessage(
        "listener.require_local_leader must be true or false, got 1",
        () ->
            ConfigValues.bool(
                one("require_local_leader", 1),
                "listener.require_local_leader",
                "require_local_leader",
                true));
  }

  // ---- nodeId ----

  @Test
  void nodeIdIsTheConfiguredOneOrTheDefault() {
    assertEquals("n1", ConfigValues.nodeId(one("node_id", "n1")));
    assertEquals(ConfigValues.defaultNodeId(), ConfigValues.nodeId(new JsonObject()));
    assertEquals(
        ConfigValues.defaultNodeId(), ConfigValues.nodeId(new JsonObject().putNull("node_id")));
  }

  @Test
  void theDefaultNodeIdIsTheHostNameAndPid() {
    String id = ConfigValues.defaultNodeId();
    String pid = Long.toString(ProcessHandle.current().pid());
    assertTrue(id.endsWith("-" + pid), id);
    assertFalse(id.substring(0, id.length() - pid.length() - 1).isBlank(), id);
    assertEquals(id, ConfigValues.defaultNodeId(), "stable for the life of the process");
  }

  @Test
  void nodeIdRejectsNonStringsAndBlanks() {
    assertMessage(
        "node_id must be a non-empty string or null, got 7",
        () -> ConfigValues.nodeId(one("node_id", 7)));
    assertMessage(
        "node_id must be a non-empty string or null, got ",
        () -> ConfigValues.nodeId(one("node_id", "")));
    assertMessage(
        "node_id must be a non-empty string or null, got  ",
        () -> ConfigValues.nodeId(one("node_id", " ")));
  }

  // ---- requireMin / require ----

  @Test
  void requireMinAcceptsTheBoundAndRejectsBelowIt() {
    ConfigValues.requireMin("replicator.max_backoff_ms", 500, 500);
    assertMessage(
        "replicator.max_backoff_ms must be >= 500, got 100",
        () -> ConfigValues.requireMin("replicator.max_backoff_ms", 100, 500));
  }

  @Test
  void requireThrowsItsMessageWhenTheConditionFails() {
    ConfigValues.require(true, "unused");
    assertMessage(
        "listener.watch_scope must be collection or database",
        () -> ConfigValues.require(false, "listener.watch_scope must be collection or database"));
  }
}
