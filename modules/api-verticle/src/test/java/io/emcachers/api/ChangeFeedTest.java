package io.emcachers.api;

import static io.emcachers.api.ApiTestSupport.KEY;
import static io.emcachers.api.ApiTestSupport.authed;
import static io.emcachers.api.ApiTestSupport.error;
import static io.emcachers.api.ApiTestSupport.send;
import static io.emcachers.api.ApiTestSupport.sendJson;
import static io.emcachers.testsupport.Await.await;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.cache.CacheDbVerticle;
import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.core.messages.CompactRequest;
import io.emcachers.core.messages.CompactionReply;
import io.emcachers.core.messages.HealthReply;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.messages.ScanEndReply;
import io.emcachers.core.messages.ScanEndRequest;
import io.emcachers.core.model.Operation;
import io.emcachers.devservices.DevPostgres;
import io.emcachers.oplog.OplogVerticle;
import io.emcachers.replicator.ReplicatorVerticle;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The change feed and read-your-writes against the real parts: PostgreSQL (DevPostgres) with the
 * real oplog verticle, the real replicator and cache-db manager on SQLite files, and the API over
 * real HTTP. Changes enter the oplog the way the listener writes them: stream batches on {@code
 * emc.oplog.append} (with cluster times where a test needs them).
 */
class ChangeFeedTest {

  static final String NODE = "node-feed";
  static final long MAX_QUEUED = 65_536;
  static final int BIG = 8_192;

  @TempDir static Path dataDir;

  static DevPostgres pg;
  static Vertx vertx;
  static ApiVerticle api;
  static WebClient client;
  static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    pg = DevPostgres.startTemporary();
    vertx = TestVertx.withMetrics();
    JsonObject root = ApiTestSupport.rootConfig(KEY, false);
    root.getJsonObject("api")
        .put("cors_origins", new JsonArray()) // the WebSocket client sends its own Origin
        .put("changes_max_queued_bytes", MAX_QUEUED)
        .put("changes_slow_client_timeout_ms", 1000)
        .put("changes_batch_rows", 50);
    root.put("node_id", NODE)
        .put("data_dir", dataDir.toString())
        .put("postgres", new JsonObject().put("url", pg.url()).put("pool_size", 4))
        .put(
            "oplog",
            new JsonObject()
                .put("standby_retry_ms", 200)
                .put("retain_history_ms", 0)
                .put("compaction_interval_ms", 3_600_000))
        .put(
            "replicator",
            new JsonObject().put("poll_interval_ms", 5000).put("status_interval_ms", 1000));
    DeploymentOptions options = new DeploymentOptions().setConfig(root);
    await(vertx.deployVerticle(new OplogVerticle(), options));
    await().atMost(Duration.ofSeconds(30)).until(() -> "leader".equals(oplogHealth().state()));
    await(vertx.deployVerticle(new CacheDbVerticle(), options));
    await(vertx.deployVerticle(new ReplicatorVerticle(), options));
    api = ApiTestSupport.deployApi(vertx, root);
    client = ApiTestSupport.client(vertx, api.actualPort());
    http = vertx.createHttpClient();
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) {
      await(vertx.close());
    }
    if (pg != null) {
      pg.close();
    }
  }

  static HealthReply oplogHealth() {
    try {
      return await(
          Bus.request(
              vertx.eventBus(), Addresses.OPLOG_HEALTH, new HealthRequest(), HealthReply.class));
    } catch (Exception e) {
      return new HealthReply("oplog", false, "unreachable", null);
    }
  }

  /** Creates a live entity with no rows (source collection = its name). */
  static void createLive(String entity) throws Exception {
    JsonObject def =
        new JsonObject()
            .put("name", entity)
            .put(
                "shape",
                new JsonObject()
                    .put("entity_name", "Doc")
                    .put("source_name", entity)
                    .put(
                        "columns",
                        new JsonArray()
                            .add(col("id", "Text", "_id"))
                            .add(col("n", "Integer", "n"))
                            .add(col("pad", "Text", "pad"))));
    HttpResponse<Buffer> r = sendJson(authed(client, HttpMethod.POST, "/api/entities"), def);
    assertEquals(201, r.statusCode(), r.bodyAsString());
    await(
        Bus.request(
            vertx.eventBus(),
            Addresses.OPLOG_SCAN_END,
            new ScanEndRequest(entity),
            ScanEndReply.class));
  }

  static JsonObject col(String name, String type, String path) {
    return new JsonObject().put("name", name).put("type", type).put("path", path);
  }

  /** Appends upserts of docs {@code from..to-1} as one stream batch; returns its last id. */
  static long append(String entity, int from, int to, int padBytes, Long clusterTime)
      throws Exception {
    List<OplogEntry> entries = new ArrayList<>();
    String pad = "x".repeat(padBytes);
    for (int i = from; i < to; i++) {
      entries.add(
          new OplogEntry(
              Operation.Upsert,
              entity,
              "d" + i,
              new JsonObject().put("id", "d" + i).put("n", i).put("pad", pad),
              0,
              clusterTime));
    }
    AppendResult r =
        await(
            Bus.request(
                vertx.eventBus(),
                Addresses.OPLOG_APPEND,
                AppendBatch.stream(entity, new JsonObject().put("_data", entity + to), entries)
                    .withClusterTime(clusterTime),
                AppendResult.class));
    return r.lastId();
  }

  /** Every oplog id of the entity, through the oplog API. */
  static List<Long> oplogIds(String entity) throws Exception {
    List<Long> ids = new ArrayList<>();
    long after = 0;
    while (true) {
      JsonObject page =
          send(authed(
                  client,
                  HttpMethod.GET,
                  "/api/oplogs/" + entity + "?after=" + after + "&limit=1000"))
              .bodyAsJsonObject();
      JsonArray rows = page.getJsonArray("rows");
      if (rows.isEmpty()) {
        return ids;
      }
      rows.forEach(o -> ids.add(((JsonObject) o).getLong("id")));
      after = page.getLong("next_after");
    }
  }

  // ---- JSON pages and long-poll ----

  @Test
  void pagesInIdOrderWithNextAfter() throws Exception {
    createLive("feed_page");
    append("feed_page", 0, 5, 0, null);
    JsonObject first =
        send(authed(client, HttpMethod.GET, "/api/changes/feed_page?after=0&limit=3"))
            .bodyAsJsonObject();
    JsonArray changes = first.getJsonArray("changes");
    assertEquals(3, changes.size());
    assertEquals("d0", changes.getJsonObject(0).getString("doc_id"));
    assertEquals(changes.getJsonObject(2).getLong("id"), first.getLong("next_after"));
    JsonObject rest =
        send(authed(
                client,
                HttpMethod.GET,
                "/api/changes/feed_page?after=" + first.getLong("next_after")))
            .bodyAsJsonObject();
    assertEquals(
        List.of("d3", "d4"),
        rest.getJsonArray("changes").stream()
            .map(o -> ((JsonObject) o).getString("doc_id"))
            .toList());
    assertEquals(oplogIds("feed_page").get(4), rest.getLong("next_after"));

    assertEquals(404, send(authed(client, HttpMethod.GET, "/api/changes/nobody")).statusCode());
    HttpResponse<Buffer> bad =
        send(authed(client, HttpMethod.GET, "/api/changes/feed_page?after=-1"));
    assertEquals(400, bad.statusCode());
    assertEquals("after", error(bad).getJsonArray("details").getJsonObject(0).getString("field"));
    assertEquals(401, send(client.request(HttpMethod.GET, "/api/changes/feed_page")).statusCode());
  }

  @Test
  void aLongPollIsAnsweredByTheChangeThatArrivesWhileItWaits() throws Exception {
    createLive("feed_lp");
    long last = append("feed_lp", 0, 2, 0, null);
    int waitingBefore = api.changes().heads().waiting();
    CompletableFuture<HttpResponse<Buffer>> poll =
        authed(
                client,
                HttpMethod.GET,
                "/api/changes/feed_lp?after=" + last + "&live=true&timeout_ms=30000")
            .send()
            .toCompletionStage()
            .toCompletableFuture();
    // parked: registered on the head watermark, not answered
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> api.changes().heads().waiting() > waitingBefore);
    assertFalse(poll.isDone(), "nothing after " + last + " yet: the long-poll waits");

    long appended = append("feed_lp", 2, 3, 0, null);
    // the long-poll timeout is 30 s: an answer well before it can only be the wake-up
    HttpResponse<Buffer> r = poll.get(5, TimeUnit.SECONDS);
    assertEquals(200, r.statusCode(), r.bodyAsString());
    JsonObject body = r.bodyAsJsonObject();
    assertFalse(body.getBoolean("timed_out"));
    assertEquals(1, body.getInteger("count"));
    assertEquals(appended, body.getJsonArray("changes").getJsonObject(0).getLong("id"));
    assertEquals("d2", body.getJsonArray("changes").getJsonObject(0).getString("doc_id"));
    assertEquals(appended, body.getLong("next_after"));

    // a row of another entity does not answer it; the timeout does, with nothing
    createLive("feed_lp_other");
    CompletableFuture<HttpResponse<Buffer>> quiet =
        authed(
                client,
                HttpMethod.GET,
                "/api/changes/feed_lp?after=" + appended + "&live=true&timeout_ms=1500")
            .send()
            .toCompletionStage()
            .toCompletableFuture();
    append("feed_lp_other", 0, 1, 0, null);
    JsonObject timedOut = quiet.get(20, TimeUnit.SECONDS).bodyAsJsonObject();
    assertTrue(timedOut.getBoolean("timed_out"));
    assertEquals(0, timedOut.getInteger("count"));
    assertEquals(appended, timedOut.getLong("next_after"));
  }

  // ---- Server-Sent Events ----

  /** One SSE connection: parsed events and the raw request to close it. */
  static final class SseClient {
    final List<long[]> events = new CopyOnWriteArrayList<>(); // {id}
    final List<String> errors = new CopyOnWriteArrayList<>();
    final AtomicLong lastId = new AtomicLong(-1);
    final CompletableFuture<Void> ended = new CompletableFuture<>();
    volatile int status;
    volatile String contentType;
    HttpClientRequest request;
    private final StringBuilder text = new StringBuilder();

    static SseClient open(String uri, Long lastEventId) throws Exception {
      SseClient c = new SseClient();
      RequestOptions o =
          new RequestOptions()
              .setMethod(HttpMethod.GET)
              .setHost("127.0.0.1")
              .setPort(api.actualPort())
              .setURI(uri)
              .putHeader("Authorization", "Bearer " + KEY)
              .putHeader("Accept", "text/event-stream");
      if (lastEventId != null) {
        o.putHeader("Last-Event-ID", String.valueOf(lastEventId));
      }
      c.request = await(http.request(o));
      // the handlers go on in the response's own callback, on its event loop: set later from
      // this thread, the chunks that arrived in between would be dropped unread
      await(
          c.request
              .send()
              .map(
                  response -> {
                    c.status = response.statusCode();
                    c.contentType = response.getHeader("Content-Type");
                    response.handler(c::onData);
                    response.endHandler(v -> c.ended.complete(null));
                    response.exceptionHandler(t -> c.ended.complete(null));
                    return response;
                  }));
      return c;
    }

    private synchronized void onData(Buffer b) {
      text.append(b.toString(StandardCharsets.UTF_8));
      int end;
      while ((end = text.indexOf("\n\n")) >= 0) {
        String event = text.substring(0, end);
        text.delete(0, end + 2);
        String id = null;
        String type = null;
        String data = null;
        for (String line : event.split("\n")) {
          if (line.startsWith("id: ")) {
            id = line.substring(4);
          } else if (line.startsWith("event: ")) {
            type = line.substring(7);
          } else if (line.startsWith("data: ")) {
            data = line.substring(6);
          }
        }
        if ("change".equals(type)) {
          long n = Long.parseLong(id);
          assertEquals(n, new JsonObject(data).getLong("id"), "event id = oplog id");
          events.add(new long[] {n});
          lastId.set(n);
        } else if ("error".equals(type)) {
          errors.add(data);
        }
      }
    }

    List<Long> ids() {
      return events.stream().map(e -> e[0]).toList();
    }

    void close() {
      request.connection().close();
    }
  }

  @Test
  void sseResumesWithLastEventIdAndLosesNothing() throws Exception {
    createLive("feed_sse");
    append("feed_sse", 0, 100, 0, null);
    SseClient first = SseClient.open("/api/changes/feed_sse?after=0", null);
    assertEquals(200, first.status);
    assertTrue(first.contentType.startsWith("text/event-stream"));
    await().atMost(Duration.ofSeconds(20)).until(() -> first.events.size() >= 100);
    // more while connected, then the client goes away mid-stream
    append("feed_sse", 100, 150, 0, null);
    await().atMost(Duration.ofSeconds(20)).until(() -> first.events.size() >= 150);
    first.close();
    first.ended.get(10, TimeUnit.SECONDS);
    long resumeFrom = first.lastId.get();
    // changes committed while nobody listened
    append("feed_sse", 150, 220, 0, null);
    append("feed_sse", 220, 260, 0, null);

    SseClient second = SseClient.open("/api/changes/feed_sse?after=0", resumeFrom);
    append("feed_sse", 260, 300, 0, null);
    await().atMost(Duration.ofSeconds(20)).until(() -> second.lastId.get() >= lastOf("feed_sse"));

    List<Long> received = new ArrayList<>(first.ids());
    received.addAll(second.ids());
    assertEquals(oplogIds("feed_sse"), received, "every change exactly once, in id order");
    assertTrue(second.ids().get(0) > resumeFrom, "resumed after Last-Event-ID");
    second.close();

    HttpResponse<Buffer> badId =
        send(
            authed(client, HttpMethod.GET, "/api/changes/feed_sse")
                .putHeader("Accept", "text/event-stream")
                .putHeader("Last-Event-ID", "x"));
    assertEquals(400, badId.statusCode());
  }

  /**
   * Connects with the handlers set in the connection's own callback, on its event loop: set later
   * from the test thread, the messages the server sent in between would be dropped unread.
   */
  static WebSocket openWs(WebSocketClient wsClient, String uri, Consumer<WebSocket> handlers)
      throws Exception {
    return await(
        wsClient
            .connect(
                new WebSocketConnectOptions()
                    .setHost("127.0.0.1")
                    .setPort(api.actualPort())
                    .setURI(uri)
                    .addHeader("Authorization", "Bearer " + KEY))
            .map(
                w -> {
                  handlers.accept(w);
                  return w;
                }));
  }

  static long lastOf(String entity) throws Exception {
    List<Long> ids = oplogIds(entity);
    return ids.get(ids.size() - 1);
  }

  @Test
  void aClientThatNeverReadsIsDisconnectedWhileTheServerQueueStaysBounded() throws Exception {
    createLive("feed_slow");
    int rows = 2500; // 2500 x 8 KiB = 20 MiB: far beyond the socket buffers of both sides
    for (int from = 0; from < rows; from += 250) {
      append("feed_slow", from, from + 250, BIG, null);
    }
    long streamsBefore = api.changes().stats().getLong("streams");
    try (Socket socket = new Socket()) {
      socket.setReceiveBufferSize(4096);
      socket.connect(new InetSocketAddress("127.0.0.1", api.actualPort()), 5000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("GET /api/changes/feed_slow?after=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization:"
                  + " Bearer "
                  + KEY
                  + "\r\nAccept: text/event-stream\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> api.changes().stats().getLong("streams") > streamsBefore);
      // never read: the server fills the socket buffers, then its own queue, then gives up
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(20))
          .until(
              () -> {
                long queued = api.changes().stats().getLong("queued_bytes");
                assertTrue(queued <= MAX_QUEUED + 2L * BIG, "queued " + queued);
                return api.changes().stats().getLong("streams") == streamsBefore;
              });
      long peak = api.changes().stats().getLong("peak_queued_bytes");
      assertTrue(
          peak <= MAX_QUEUED + 2L * BIG,
          "the server held at most its bound plus one change for the client, peak " + peak);
      assertTrue(peak >= MAX_QUEUED / 2, "the queue did fill up (peak " + peak + ")");
      String metrics = send(authed(client, HttpMethod.GET, "/metrics")).bodyAsString();
      assertTrue(
          metrics.contains("emc_api_changes_disconnected_total{reason=\"slow\"}"), "counted");

      // the server closed the connection: what was in flight arrives, then EOF
      socket.setSoTimeout(20_000);
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[65536];
      int n;
      while ((n = in.read(buf)) >= 0) {
        got.write(buf, 0, n);
      }
      String text = got.toString(StandardCharsets.UTF_8);
      long lastComplete = -1;
      int count = 0;
      int start = 0;
      int end;
      // only events followed by their blank line are complete; the tail may be cut
      while ((end = text.indexOf("\n\n", start)) >= 0) {
        String event = text.substring(start, end);
        start = end + 2;
        if (event.contains("\nevent: change\ndata: ")) {
          String idLine = event.substring(event.indexOf("id: ") + 4);
          lastComplete = Long.parseLong(idLine.substring(0, idLine.indexOf('\n')));
          count++;
        }
      }
      assertTrue(count < rows, "it did not get everything: " + count + " of " + rows);
      // it resumes where its own data stops
      List<Long> ids = oplogIds("feed_slow");
      SseClient resumed =
          SseClient.open("/api/changes/feed_slow", lastComplete < 0 ? 0 : lastComplete);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> resumed.lastId.get() == ids.get(ids.size() - 1));
      assertEquals(ids.get(count - 1), lastComplete, "what it got is the oplog's first rows");
      assertEquals(
          ids.subList(count, ids.size()),
          resumed.ids(),
          "the resumed stream continues right after the last change it had");
      resumed.close();
    }
  }

  // ---- WebSocket ----

  @Test
  void theWebSocketFeedStreamsChangesInOrderAndResumesWithAfter() throws Exception {
    createLive("feed_ws");
    append("feed_ws", 0, 30, 0, null);
    List<Long> got = new CopyOnWriteArrayList<>();
    WebSocketClient wsClient = vertx.createWebSocketClient();
    WebSocket ws =
        openWs(
            wsClient,
            "/ws/changes?entity=feed_ws&after=0",
            w -> w.textMessageHandler(m -> got.add(new JsonObject(m).getLong("id"))));
    await().atMost(Duration.ofSeconds(20)).until(() -> got.size() >= 30);
    append("feed_ws", 30, 40, 0, null);
    await().atMost(Duration.ofSeconds(20)).until(() -> got.size() >= 40);
    await(ws.close());
    assertEquals(oplogIds("feed_ws"), got);

    List<Long> again = new CopyOnWriteArrayList<>();
    WebSocket resumed =
        openWs(
            wsClient,
            "/ws/changes?entity=feed_ws&after=" + got.get(34),
            w -> w.textMessageHandler(m -> again.add(new JsonObject(m).getLong("id"))));
    await().atMost(Duration.ofSeconds(20)).until(() -> again.size() >= 5);
    assertEquals(got.subList(35, 40), again);
    await(resumed.close());

    // unknown entity: an error message and close status 4404
    CompletableFuture<Short> closed = new CompletableFuture<>();
    openWs(
        wsClient,
        "/ws/changes?entity=nobody",
        w -> w.closeHandler(v -> closed.complete(w.closeStatusCode())));
    assertEquals((short) 4404, closed.get(10, TimeUnit.SECONDS));
  }

  @Test
  void aWebSocketClientThatNeverReadsIsDisconnectedWhileTheServerQueueStaysBounded()
      throws Exception {
    createLive("feed_ws_slow");
    int rows = 2500; // 20 MiB of changes, far beyond the socket buffers of both sides
    for (int from = 0; from < rows; from += 250) {
      append("feed_ws_slow", from, from + 250, BIG, null);
    }
    long streamsBefore = api.changes().stats().getLong("streams");
    List<Long> got = new CopyOnWriteArrayList<>();
    CompletableFuture<Short> closed = new CompletableFuture<>();
    WebSocketClient wsClient = vertx.createWebSocketClient();
    WebSocket ws =
        openWs(
            wsClient,
            "/ws/changes?entity=feed_ws_slow&after=0",
            w -> {
              w.textMessageHandler(m -> got.add(new JsonObject(m).getLong("id")));
              w.closeHandler(v -> closed.complete(w.closeStatusCode()));
              w.pause(); // never reads: TCP fills up, then the server's own queue
            });
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(20))
        .until(
            () -> {
              long queued = api.changes().stats().getLong("queued_bytes");
              assertTrue(queued <= MAX_QUEUED + 2L * BIG, "queued " + queued);
              return api.changes().stats().getLong("streams") == streamsBefore
                  && api.changes().stats().getLong("peak_queued_bytes") > 0;
            });
    long peak = api.changes().stats().getLong("peak_queued_bytes");
    assertTrue(peak <= MAX_QUEUED + 2L * BIG, "peak " + peak);
    ws.resume(); // what was in flight arrives, then the close
    Short status = closed.get(30, TimeUnit.SECONDS);
    assertTrue(got.size() < rows, "it did not get everything: " + got.size() + " of " + rows);
    assertEquals(oplogIds("feed_ws_slow").subList(0, got.size()), got, "in order, no gap");
    assertEquals((short) 1008, status, "closed as a policy violation (too slow)");
  }

  // ---- compaction ----

  @Test
  void compactedHistoryAnswersTheMustRefetchError() throws Exception {
    createLive("feed_compact");
    for (int i = 0; i < 5; i++) {
      append("feed_compact", 0, 3, 0, null); // d0..d2 rewritten five times
    }
    long after = oplogIds("feed_compact").get(0);
    for (int i = 0; i < 2; i++) { // the first run records a mark, the second compacts
      await(
          Bus.request(
              vertx.eventBus(),
              Addresses.OPLOG_COMPACT,
              new CompactRequest("test"),
              CompactionReply.class));
    }
    HttpResponse<Buffer> page =
        send(authed(client, HttpMethod.GET, "/api/changes/feed_compact?after=" + after));
    assertEquals(410, page.statusCode(), page.bodyAsString());
    assertEquals("compacted", error(page).getString("code"));
    assertTrue(error(page).getString("message").contains("compacted=true"));
    HttpResponse<Buffer> sse =
        send(
            authed(client, HttpMethod.GET, "/api/changes/feed_compact?after=" + after)
                .putHeader("Accept", "text/event-stream"));
    assertEquals(410, sse.statusCode());
    // from 0 the compacted state is readable
    assertEquals(
        200,
        send(authed(client, HttpMethod.GET, "/api/changes/feed_compact?after=0")).statusCode());
  }

  // ---- read-your-writes ----

  static Object cachedN(String entity, String docId) throws Exception {
    Path file = dataDir.resolve("dbs").resolve(entity).resolve("db.sqlite");
    if (!file.toFile().exists()) {
      return null;
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:file:" + file + "?mode=ro");
        ResultSet rs =
            c.createStatement()
                .executeQuery("SELECT n FROM " + entity + " WHERE _doc_id = '" + docId + "'")) {
      return rs.next() ? rs.getObject(1) : null;
    }
  }

  @Test
  void waitReturnsOnceThisNodesCacheHasTheWriteOfThatClusterTime() throws Exception {
    createLive("feed_wait");
    long base = 1_800_000_000L << 32;
    for (int i = 1; i <= 20; i++) {
      long t = base | i;
      append("feed_wait", i, i + 1, 0, t);
      HttpResponse<Buffer> r =
          send(
              authed(
                  client,
                  HttpMethod.GET,
                  "/api/cache/feed_wait/wait?cluster_time=1800000000." + i + "&timeout_ms=20000"));
      assertEquals(200, r.statusCode(), r.bodyAsString());
      assertEquals(i, ((Number) cachedN("feed_wait", "d" + i)).intValue(), "in the file at once");
      assertEquals("feed_wait", r.bodyAsJsonObject().getString("stream"));
      assertEquals("1800000000." + i, r.bodyAsJsonObject().getString("high_water"));
      assertEquals(t >>> 32, 1_800_000_000L);
    }
    // the 64-bit form and oplog_id work the same
    long id = append("feed_wait", 100, 101, 0, base | 100);
    assertEquals(
        200,
        send(authed(
                client,
                HttpMethod.GET,
                "/api/cache/feed_wait/wait?cluster_time=" + (base | 100) + "&timeout_ms=20000"))
            .statusCode());
    HttpResponse<Buffer> byId =
        send(
            authed(
                client,
                HttpMethod.GET,
                "/api/cache/feed_wait/wait?oplog_id=" + id + "&timeout_ms=20000"));
    assertEquals(200, byId.statusCode(), byId.bodyAsString());
    assertTrue(byId.bodyAsJsonObject().getLong("applied_oplog_id") >= id);

    // a time the source has not reached: 408 naming the step
    HttpResponse<Buffer> future =
        send(
            authed(
                client,
                HttpMethod.GET,
                "/api/cache/feed_wait/wait?cluster_time=1900000000.1&timeout_ms=300"));
    assertEquals(408, future.statusCode(), future.bodyAsString());
    assertEquals("wait_timeout", error(future).getString("code"));
    assertEquals("source_position", error(future).getJsonObject("details").getString("step"));

    // a write that arrives while the wait waits wakes it
    CompletableFuture<HttpResponse<Buffer>> pending =
        authed(
                client,
                HttpMethod.GET,
                "/api/cache/feed_wait/wait?cluster_time=1800000000.200&timeout_ms=30000")
            .send()
            .toCompletionStage()
            .toCompletableFuture();
    await().atMost(Duration.ofSeconds(10)).until(() -> api.changes().heads().waiting() > 0);
    assertFalse(pending.isDone());
    append("feed_wait", 200, 201, 0, base | 200);
    assertEquals(200, pending.get(10, TimeUnit.SECONDS).statusCode());
    assertEquals(200, ((Number) cachedN("feed_wait", "d200")).intValue());

    // no change of the entity after T: the stream's position moving past T (an idle checkpoint:
    // a batch with no entries, only a position and its cluster time) is enough
    await(
        Bus.request(
            vertx.eventBus(),
            Addresses.OPLOG_APPEND,
            AppendBatch.stream("feed_wait", new JsonObject().put("_data", "idle"), List.of())
                .withClusterTime(base | 300),
            AppendResult.class));
    HttpResponse<Buffer> idle =
        send(
            authed(
                client,
                HttpMethod.GET,
                "/api/cache/feed_wait/wait?cluster_time=1800000000.250&timeout_ms=20000"));
    assertEquals(200, idle.statusCode(), idle.bodyAsString());
    assertEquals("1800000000.300", idle.bodyAsJsonObject().getString("high_water"));

    // precise 400s
    for (String q :
        List.of(
            "",
            "?cluster_time=1.2&oplog_id=3",
            "?cluster_time=abc",
            "?cluster_time=99999999999.1",
            "?oplog_id=-1",
            "?oplog_id=1&timeout_ms=0")) {
      HttpResponse<Buffer> bad =
          send(authed(client, HttpMethod.GET, "/api/cache/feed_wait/wait" + q));
      assertEquals(400, bad.statusCode(), q + ": " + bad.bodyAsString());
    }
    assertEquals(
        404,
        send(authed(client, HttpMethod.GET, "/api/cache/nobody/wait?cluster_time=1.1"))
            .statusCode());
  }

  static <T> T done(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
