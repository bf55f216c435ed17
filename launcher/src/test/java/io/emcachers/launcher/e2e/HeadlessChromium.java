package io.emcachers.launcher.e2e;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * A headless Chromium driven over the Chrome DevTools protocol with the JDK's own HTTP and
 * WebSocket clients: one page, navigate, evaluate JavaScript, capture a screenshot. {@link #find()}
 * looks for a {@code chromium} / {@code chromium-browser} / {@code google-chrome} binary (or {@code
 * EMC_CHROMIUM}); tests skip when there is none.
 */
final class HeadlessChromium implements AutoCloseable {

  private static final List<String> NAMES =
      List.of("chromium", "chromium-browser", "google-chrome", "google-chrome-stable");

  private final Process process;
  private final Path profile;
  private final WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonObject>> pending = new ConcurrentHashMap<>();

  /** The browser binary: {@code EMC_CHROMIUM}, else the first of the usual names on PATH. */
  static Optional<Path> find() {
    String configured = System.getenv("EMC_CHROMIUM");
    if (configured != null && !configured.isBlank()) {
      Path p = Path.of(configured);
      return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
    }
    String path = System.getenv().getOrDefault("PATH", "");
    return Stream.of(path.split(java.io.File.pathSeparator))
        .filter(d -> !d.isEmpty())
        .flatMap(d -> NAMES.stream().map(n -> Path.of(d, n)))
        .filter(Files::isExecutable)
        .findFirst();
  }

  private HeadlessChromium(Process process, Path profile, WebSocket socket) {
    this.process = process;
    this.profile = profile;
    this.socket = socket;
  }

  /** Starts the browser with one blank page of {@code width} × {@code height} CSS pixels. */
  static HeadlessChromium start(Path binary, int width, int height) throws Exception {
    Path profile = Files.createTempDirectory("emc-chromium-");
    List<String> command =
        new ArrayList<>(
            List.of(
                binary.toString(),
                "--headless=new",
                "--no-sandbox", // root in CI containers; the page is our own
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "--user-data-dir=" + profile,
                "--window-size=" + width + "," + height,
                "about:blank"));
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(profile.resolve("chromium.log").toFile())
            .start();
    try {
      Path portFile = profile.resolve("DevToolsActivePort");
      // the browser writes the file once its DevTools port listens
      Awaitility.await("chromium's DevTools port")
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(50))
          .until(
              () -> {
                if (!process.isAlive()) {
                  throw new IOException(
                      "chromium exited: " + Files.readString(profile.resolve("chromium.log")));
                }
                return Files.exists(portFile) && Files.readAllLines(portFile).size() >= 2;
              });
      int port = Integer.parseInt(Files.readAllLines(portFile).get(0).trim());
      HttpClient http = HttpClient.newHttpClient();
      JsonArray targets =
          new JsonArray(
              http.send(
                      HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list"))
                          .timeout(Duration.ofSeconds(10))
                          .build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body());
      String pageUrl = null;
      for (Object t : targets) {
        JsonObject target = (JsonObject) t;
        if ("page".equals(target.getString("type"))) {
          pageUrl = target.getString("webSocketDebuggerUrl");
          break;
        }
      }
      if (pageUrl == null) {
        throw new IOException("chromium has no page target: " + targets);
      }
      HeadlessChromium[] self = new HeadlessChromium[1];
      WebSocket ws =
          http.newWebSocketBuilder()
              .connectTimeout(Duration.ofSeconds(10))
              .buildAsync(URI.create(pageUrl), new Listener(self))
              .get(20, TimeUnit.SECONDS);
      self[0] = new HeadlessChromium(process, profile, ws);
      self[0].send("Page.enable", new JsonObject());
      self[0].send(
          "Emulation.setDeviceMetricsOverride",
          new JsonObject()
              .put("width", width)
              .put("height", height)
              .put("deviceScaleFactor", 1)
              .put("mobile", false));
      return self[0];
    } catch (Exception e) {
      process.destroyForcibly();
      throw e;
    }
  }

  /** Collects text frames into DevTools messages and completes the matching call. */
  private static final class Listener implements WebSocket.Listener {
    private final HeadlessChromium[] owner;
    private final StringBuilder partial = new StringBuilder();

    Listener(HeadlessChromium[] owner) {
      this.owner = owner;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        JsonObject message = new JsonObject(partial.toString());
        partial.setLength(0);
        Integer id = message.getInteger("id");
        if (id != null && owner[0] != null) {
          CompletableFuture<JsonObject> f = owner[0].pending.remove(id);
          if (f != null) {
            f.complete(message);
          }
        }
      }
      ws.request(1);
      return null;
    }
  }

  /** One DevTools call; its {@code result}, or an exception with the protocol's error. */
  JsonObject send(String method, JsonObject params) throws Exception {
    int id = ids.incrementAndGet();
    CompletableFuture<JsonObject> reply = new CompletableFuture<>();
    pending.put(id, reply);
    socket
        .sendText(
            new JsonObject().put("id", id).put("method", method).put("params", params).encode(),
            true)
        .get(10, TimeUnit.SECONDS);
    JsonObject message = reply.get(60, TimeUnit.SECONDS);
    if (message.containsKey("error")) {
      throw new IOException(method + " failed: " + message.getJsonObject("error"));
    }
    return message.getJsonObject("result", new JsonObject());
  }

  void navigate(String url) throws Exception {
    send("Page.navigate", new JsonObject().put("url", url));
  }

  /** The value of {@code expression} in the page (awaited when it is a promise), as JSON. */
  Object evaluate(String expression) throws Exception {
    JsonObject result =
        send(
            "Runtime.evaluate",
            new JsonObject()
                .put("expression", expression)
                .put("returnByValue", true)
                .put("awaitPromise", true));
    if (result.containsKey("exceptionDetails")) {
      throw new IOException(
          "page script failed: " + result.getJsonObject("exceptionDetails").encode());
    }
    return result.getJsonObject("result", new JsonObject()).getValue("value");
  }

  /** A PNG of the whole page. */
  byte[] screenshot() throws Exception {
    JsonObject result =
        send(
            "Page.captureScreenshot",
            new JsonObject().put("format", "png").put("captureBeyondViewport", true));
    return Base64.getDecoder().decode(result.getString("data"));
  }

  @Override
  public void close() throws Exception {
    try {
      socket.abort();
    } finally {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
      try (Stream<Path> files = Files.walk(profile)) {
        files
            .sorted(java.util.Comparator.reverseOrder())
            .forEach(p -> p.toFile().delete()); // best effort: a temporary profile
      }
    }
  }
}
