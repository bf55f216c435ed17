package io.emcachers.api.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.api.errors.ApiException;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestTargetCheckTest {

  @Test
  void wellFormedTargetsPass() {
    for (String s :
        List.of(
            "/api/entities",
            "/api/cache/users/docs/~s:a%2Fb",
            "/x/%25",
            "/x/%7e%7E",
            "/x/%C3%A9%E6%97%A5%F0%9F%98%80",
            "/x/~j:{\"v\":1}",
            "/x/a+b;c=d,e!$&'()*@:",
            "/x/%00",
            "")) {
      assertNull(RequestTargetCheck.encodingProblem(s), s);
    }
    assertNull(RequestTargetCheck.problem("/api/oplogs/users", "after=5&limit=%31%30&x=a+b"));
    assertNull(RequestTargetCheck.problem("/health", null));
  }

  @Test
  void malformedEscapesAreNamedWithTheirOffset() {
    assertEquals(
        "\"%\" at offset 14 (a % must start an escape of two hex digits; write %25 for % itself)",
        RequestTargetCheck.encodingProblem("/api/entities/%"));
    for (String s :
        List.of(
            "%", "%z", "%zz", "%2", "a%", "%%", "%G1", "%+1", "%-1", "%u0041", "%2%41", "x%0")) {
      String why = RequestTargetCheck.encodingProblem("/p/" + s);
      assertNotNull(why, s);
      assertTrue(why.contains("a % must start an escape"), s + ": " + why);
    }
  }

  @Test
  void escapesMustDecodeToUtf8() {
    for (String s :
        List.of(
            "%C3",
            "%FF",
            "%80",
            "%C0%AF",
            "%C3%28",
            "%ED%A0%80",
            "%E2%82",
            "%F4%90%80%80",
            "%F8%88%80%80%80",
            "%E9t%E9")) {
      assertEquals(
          "the escaped bytes are not UTF-8", RequestTargetCheck.encodingProblem("/p/" + s), s);
    }
  }

  @Test
  void unescapedBytesOutsidePrintableAsciiAreRefused() {
    assertEquals(
        "byte 0xE9 at offset 3 must be percent-encoded (only printable ASCII may appear unescaped)",
        RequestTargetCheck.encodingProblem("/p/\u00e9"));
    for (String s : List.of("\u00ff", "a\u0000b", "a\u007fb", "a b", "\t", "\u00c3\u00a9")) {
      assertNotNull(RequestTargetCheck.encodingProblem("/p/" + s), s);
    }
  }

  @Test
  void theAnswerIsA400SayingWhichPart() {
    ApiException path = RequestTargetCheck.problem("/api/cache/x/docs/%zz", null);
    assertEquals(400, path.status());
    assertEquals("bad_request", path.code());
    assertTrue(
        path.getMessage()
            .startsWith("request path has an invalid percent-encoding: \"%zz\" at offset 18"),
        path.getMessage());
    ApiException query = RequestTargetCheck.problem("/api/oplogs/users", "after=%");
    assertTrue(
        query.getMessage().startsWith("request query string has an invalid percent-encoding: "),
        query.getMessage());
  }
}
