package io.emcachers.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link CompactJson} writes exactly Jackson's text, or declines. */
class CompactJsonTest {

  @Test
  void writesJacksonsTextForTheValuesProjectionsProduce() {
    List<Object> values =
        List.of(
            new JsonObject().put("city", "Lisbon").put("tier", 3),
            new JsonObject()
                .put("a", new JsonArray().add(1).add(2.5).add(true).addNull().add("x"))
                .put("b", new JsonObject().put("c", new JsonObject()))
                .put("d", -0.0)
                .put("e", 1e300)
                .put("f", 1.0E-7)
                .put("g", Long.MIN_VALUE)
                .put("h", "ünïcødé € 😀 / \u007f \u2028"),
            new JsonArray(),
            new JsonObject(),
            new JsonArray().add(new JsonArray().add(new JsonArray())),
            "plain",
            42,
            0.1,
            false);
    for (Object v : values) {
      assertEquals(Json.encode(v), CompactJson.write(v), String.valueOf(v));
      assertEquals(Json.encode(v), CacheSchema.jsonText(v));
    }
  }

  @Test
  void randomNestedValuesMatchJackson() {
    Random r = new Random(7);
    int written = 0;
    for (int i = 0; i < 5_000; i++) {
      Object v = random(r, 0);
      String compact = CompactJson.write(v);
      if (compact != null) {
        written++;
        assertEquals(Json.encode(v), compact, String.valueOf(v));
      }
      assertEquals(Json.encode(v), CacheSchema.jsonText(v));
    }
    assertTrue(written > 1_000, "the fast path is the usual one: " + written);
  }

  @Test
  void declinesWhatJacksonEscapesOrSpellsItsOwnWay() {
    List<Object> declined =
        List.of(
            "quote \" inside",
            "back\\slash",
            "new\nline",
            "nul \u0000",
            new JsonObject().put("k", "tab\t"),
            new JsonObject().put("tab\tkey", 1),
            Double.NaN,
            Double.POSITIVE_INFINITY,
            new BigDecimal("1.50"),
            1.5f,
            (short) 3,
            Instant.EPOCH,
            new byte[] {1, 2},
            new JsonArray().add(new JsonObject().put("x", Double.NaN)));
    for (Object v : declined) {
      assertNull(CompactJson.write(v), String.valueOf(v));
    }
    // the caller's fallback still gives Jackson's text for the JSON-typed ones
    assertEquals("{\"k\":\"tab\\t\"}", CacheSchema.jsonText(new JsonObject().put("k", "tab\t")));
  }

  @Test
  void mapsAndListsInsideAJsonObjectAreWrittenLikeJackson() {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("z", 1);
    inner.put("a", List.of(1L, "two"));
    JsonObject o = new JsonObject().put("m", inner).put("l", new ArrayList<>(List.of(inner)));
    assertEquals(Json.encode(o), CompactJson.write(o));
  }

  private static Object random(Random r, int depth) {
    int kind = r.nextInt(depth > 3 ? 6 : 9);
    switch (kind) {
      case 0:
        return null;
      case 1:
        return r.nextBoolean();
      case 2:
        return r.nextInt();
      case 3:
        return r.nextLong();
      case 4:
        return r.nextInt(20) == 0 ? Double.longBitsToDouble(r.nextLong()) : r.nextDouble() * 1e6;
      case 5:
        return randomString(r);
      case 6:
        {
          JsonArray a = new JsonArray();
          for (int i = r.nextInt(4); i > 0; i--) {
            a.add(random(r, depth + 1));
          }
          return a;
        }
      default:
        {
          JsonObject o = new JsonObject();
          for (int i = r.nextInt(4); i > 0; i--) {
            o.put(randomString(r), random(r, depth + 1));
          }
          return o;
        }
    }
  }

  private static String randomString(Random r) {
    StringBuilder sb = new StringBuilder();
    for (int i = r.nextInt(8); i > 0; i--) {
      int pick = r.nextInt(30);
      sb.append(
          pick == 0
              ? (char) r.nextInt(0x20)
              : pick == 1 ? '"' : pick == 2 ? '\\' : (char) (0x20 + r.nextInt(0x3000)));
    }
    return sb.toString();
  }
}
