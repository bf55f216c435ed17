package io.emcachers.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.messages.CacheDocRequest;
import io.emcachers.core.messages.CacheRowsReply;
import io.emcachers.testsupport.Await;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /api/cache/{entity}/docs/{id}}: the id path parameter is percent-decoded exactly once
 * and reaches the cache unchanged, whatever it contains ({@code ~}, {@code :}, {@code /} as {@code
 * %2F}, {@code %}, spaces, JSON, non-ASCII). A consumer registered on the entity's real read
 * address records the request the API sends over the bus and answers with the id it got.
 */
class CacheDocIdTest {

  static Vertx vertx;
  static int port;
  static final BlockingQueue<CacheDocRequest> received = new LinkedBlockingQueue<>();

  /**
   * Doc ids as the injective _id → doc_id rule renders them, and others that stress the decoding.
   */
  static final List<String> IDS =
      List.of(
          "~n:1",
          "~n:-1.5E10",
          "~s:abc",
          "~s:",
          "~s:a/b",
          "~s:/",
          "~s:100%",
          "~s:%41",
          "~s:%2F",
          "~s:%%",
          "~s:%",
          "~s:a b",
          "~s:a+b",
          "~s:a;b=c,d",
          "~s:!$&'()*+,;=:@",
          "~s:?#[]",
          "~s:..",
          "~s:.",
          "~s:\\",
          "~s:\t\n",
          "~s:é",
          "~s:日本語",
          "~s:😀",
          "~j:{\"v\": 1}",
          "~j:{\"v\": [1, \"a b\", {\"k\": null}]}",
          "~j:{\"$oid\": \"65f0c0ffee\"}",
          "plain-id",
          "user-0001",
          "~s:" + "x".repeat(1000));

  @BeforeAll
  static void start() throws Exception {
    vertx = TestVertx.withMetrics();
    Await.await(
        vertx
            .eventBus()
            .<Object>consumer(
                Addresses.cacheQueryFor("users"),
                m ->
                    Bus.handle(
                        m,
                        CacheDocRequest.class,
                        r -> {
                          received.add(r);
                          return Future.succeededFuture(
                              new CacheRowsReply(
                                  List.of(new JsonObject().put("_doc_id", r.docId())),
                                  null,
                                  false));
                        }))
            .completion());
    port =
        ApiTestSupport.deployApi(vertx, ApiTestSupport.rootConfig(ApiTestSupport.KEY, false))
            .actualPort();
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) {
      Await.await(vertx.close());
    }
  }

  @BeforeEach
  void clear() {
    received.clear();
  }

  /**
   * Every byte but the unreserved characters percent-encoded (what encodeURIComponent does, plus
   * {@code !'()*}).
   */
  static String encodeAll(String id) {
    StringBuilder sb = new StringBuilder();
    for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (Character.isLetterOrDigit(c) && c < 0x80
          || c == '-'
          || c == '.'
          || c == '_'
          || c == '~') {
        sb.append((char) c);
      } else {
        sb.append(String.format("%%%02X", c));
      }
    }
    return sb.toString();
  }

  /**
   * Only what a path segment cannot hold raw encoded (RFC 3986 pchar stays as it is), lower-case
   * hex.
   */
  static String encodeMinimal(String id) {
    StringBuilder sb = new StringBuilder();
    for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      boolean pchar =
          c < 0x80 && (Character.isLetterOrDigit(c) || "-._~!$&'()*+,;=:@".indexOf(c) >= 0);
      sb.append(pchar ? String.valueOf((char) c) : String.format("%%%02x", c));
    }
    return sb.toString();
  }

  CacheDocRequest fetch(String encodedId, String expectedId) throws Exception {
    String target = "/api/cache/users/docs/" + encodedId;
    RawHttp.Response r =
        RawHttp.exchange(
            port,
            RawHttp.request(
                "GET",
                target,
                List.of(
                    "Host: 127.0.0.1",
                    "Authorization: Bearer " + ApiTestSupport.KEY,
                    "Connection: close"),
                null),
            false,
            15_000);
    assertEquals(200, r.status(), target + " -> " + r);
    assertEquals(expectedId, new JsonObject(r.bodyText()).getString("_doc_id"), target);
    CacheDocRequest sent = received.poll(10, TimeUnit.SECONDS);
    assertNotNull(sent, "the API sent a request on " + Addresses.cacheQueryFor("users"));
    assertEquals("users", sent.entity());
    return sent;
  }

  @Test
  void theIdIsDecodedOnceAndPassedThroughUnchanged() throws Exception {
    for (String id : IDS) {
      assertEquals(id, fetch(encodeAll(id), id).docId(), "fully encoded " + encodeAll(id));
      assertEquals(
          id, fetch(encodeMinimal(id), id).docId(), "minimally encoded " + encodeMinimal(id));
    }
  }

  @Test
  void escapesAreDecodedExactlyOnceWhateverTheirCase() throws Exception {
    assertEquals("~s:%41", fetch("~s:%2541", "~s:%41").docId());
    assertEquals("~s:%2f", fetch("%7Es%3A%252f", "~s:%2f").docId());
    assertEquals("~s:a/b", fetch("%7es%3aa%2fb", "~s:a/b").docId());
    assertEquals("~s:A~", fetch("~s:%41%7E", "~s:A~").docId());
    assertEquals("~s:a+b", fetch("~s:a%2Bb", "~s:a+b").docId());
  }
}
