package io.emcachers.core.verify;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class JsonValuesTest {

  @Test
  void keyOrderDoesNotMatterAtAnyDepth() {
    assertTrue(
        JsonValues.sameJsonText(
            "{\"zeta\":1,\"a\":{\"yy\":[1,{\"k2\":2,\"k\":1}],\"x\":true}}",
            "{\"a\": {\"x\": true, \"yy\": [1, {\"k\": 1, \"k2\": 2}]}, \"zeta\": 1}"));
  }

  @Test
  void numbersCompareByValueNotSpelling() {
    assertTrue(JsonValues.sameJsonText("{\"n\":1.0E300}", "{\"n\":1" + "0".repeat(300) + "}"));
    assertTrue(JsonValues.sameJsonText("[2.50, -2.5E-7, 3]", "[2.5, -0.00000025, 3.0]"));
    assertFalse(JsonValues.sameJsonText("[0.1]", "[0.1000001]"));
    assertFalse(JsonValues.sameJsonText("{\"n\":1}", "{\"n\":2}"));
  }

  @Test
  void anythingElseMustBeEqual() {
    assertFalse(JsonValues.sameJsonText("[1,2]", "[2,1]"), "array order matters");
    assertFalse(JsonValues.sameJsonText("{\"a\":1}", "{\"a\":1,\"b\":null}"), "a null key counts");
    assertFalse(JsonValues.sameJsonText("{\"a\":\"1\"}", "{\"a\":1}"), "a string is no number");
    assertFalse(JsonValues.sameJsonText("{\"a\":true}", "{\"a\":1}"));
    assertFalse(JsonValues.sameJsonText("{\"a\":1}", "{\"a\":1"), "invalid JSON is never equal");
    assertFalse(JsonValues.sameJsonText(null, "null"));
    assertTrue(JsonValues.sameJsonText("null", "null"));
    assertTrue(JsonValues.sameJsonText("\"\\u00e9\"", "\"é\""));
  }
}
