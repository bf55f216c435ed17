package io.emcachers.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** What {@code run} prints once ready: the dashboard URL, and the key only when it made one. */
class ReadyBannerTest {

  @Test
  void aGeneratedKeyIsPrintedWithTheDashboardUrl() {
    String banner =
        RunCommand.readyBanner(new JsonObject().put("host", "0.0.0.0").put("port", 8080), "k123");
    assertTrue(banner.contains("dashboard:  http://localhost:8080/"), banner);
    assertTrue(banner.contains("EMC_API_KEY=k123"), banner);
  }

  @Test
  void aConfiguredKeyIsNeverPrinted() {
    String banner =
        RunCommand.readyBanner(
            new JsonObject().put("host", "10.0.0.5").put("port", 9000).put("key", "secret"), null);
    assertTrue(banner.contains("http://10.0.0.5:9000/"), banner);
    assertFalse(banner.contains("secret"), banner);
  }

  @Test
  void anIpv6HostIsBracketed() {
    assertEquals(
        "emcachers is ready.\n  dashboard:  http://[::1]:8080/\n"
            + "  API key:    the one configured (api.key / EMC_API_KEY)",
        RunCommand.readyBanner(new JsonObject().put("host", "::1").put("port", 8080), null));
  }
}
