package io.emcachers.api;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain TCP socket, byte for byte: for requests no well-behaved client would send
 * (bad escapes, raw non-UTF-8 bytes, lying Content-Length, broken framing). Requests are written as
 * given; the answer is parsed (interim 1xx skipped, Content-Length / chunked / read-to-close
 * bodies). Every read has a deadline ({@code SO_TIMEOUT}); a connection closed before any status
 * line is reported as status -1 and a deadline passed without an answer as -2, not thrown.
 */
final class RawHttp {

  private RawHttp() {}

  /**
   * One answer. {@code status} -1: the server closed the connection without answering; -2: no
   * answer before the deadline.
   */
  record Response(int status, Map<String, String> headers, byte[] body) {

    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      String text = bodyText();
      return status
          + " "
          + headers
          + " "
          + (text.length() > 300 ? text.substring(0, 300) + "..." : text);
    }
  }

  /**
   * Bytes of {@code text} where each char is one byte (chars 0..255): lets a request carry raw
   * non-UTF-8 bytes.
   */
  static byte[] latin1(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * {@code utf8} as UTF-8 bytes, each byte as one char: for splicing raw UTF-8 into a {@link
   * #latin1} request.
   */
  static String rawUtf8(String utf8) {
    return new String(utf8.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
  }

  /**
   * Sends {@code request} on a new connection and reads one answer; {@code head} when the request
   * is a HEAD (no body follows).
   */
  static Response exchange(int port, byte[] request, boolean head, int deadlineMs)
      throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), deadlineMs);
      socket.setSoTimeout(deadlineMs);
      socket.setTcpNoDelay(true);
      OutputStream out = socket.getOutputStream();
      try {
        out.write(request);
        out.flush();
      } catch (IOException closedWhileWriting) {
        // The server may answer (e.g. 431) and close before it read everything: read what it said.
      }
      InputStream in = socket.getInputStream();
      try {
        return read(in, head);
      } catch (EOFException | java.net.SocketException closed) {
        return new Response(-1, Map.of(), new byte[0]);
      } catch (SocketTimeoutException silent) {
        return new Response(-2, Map.of(), new byte[0]);
      }
    }
  }

  /**
   * Sends {@code request} and reads the answer's status line and headers, leaving the connection
   * open (a streaming answer, e.g. a SockJS xhr_streaming session): the caller closes the socket.
   */
  static Socket openStream(int port, byte[] request, int deadlineMs, int[] status)
      throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), deadlineMs);
    socket.setSoTimeout(deadlineMs);
    socket.getOutputStream().write(request);
    socket.getOutputStream().flush();
    String statusLine = line(socket.getInputStream());
    status[0] = statusLine == null ? -1 : Integer.parseInt(statusLine.split(" ", 3)[1]);
    String h;
    while ((h = line(socket.getInputStream())) != null && !h.isEmpty()) {
      // headers skipped
    }
    return socket;
  }

  private static Response read(InputStream in, boolean head) throws IOException {
    while (true) {
      String statusLine = line(in);
      if (statusLine == null) {
        return new Response(-1, Map.of(), new byte[0]);
      }
      String[] parts = statusLine.split(" ", 3);
      if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
        throw new IOException("not an HTTP status line: " + statusLine);
      }
      int status = Integer.parseInt(parts[1]);
      Map<String, String> headers = new LinkedHashMap<>();
      String h;
      while ((h = line(in)) != null && !h.isEmpty()) {
        int colon = h.indexOf(':');
        if (colon > 0) {
          headers.merge(
              h.substring(0, colon).trim().toLowerCase(Locale.ROOT),
              h.substring(colon + 1).trim(),
              (a, b) -> a + ", " + b);
        }
      }
      if (status >= 100 && status < 200 && status != 101) {
        continue; // 100 Continue: the real answer follows
      }
      if (head || status == 101 || status == 204 || status == 304) {
        return new Response(status, headers, new byte[0]);
      }
      String length = headers.get("content-length");
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      try {
        if (length != null) {
          body.write(in.readNBytes(Integer.parseInt(length.trim())));
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
          chunked(in, body);
        } else {
          readToClose(in, body);
        }
      } catch (SocketTimeoutException | java.net.SocketException streamingOrCut) {
        // a streaming answer (SockJS) or a connection cut after the headers: judged by what arrived
      }
      return new Response(status, headers, body.toByteArray());
    }
  }

  private static void chunked(InputStream in, ByteArrayOutputStream body) throws IOException {
    while (true) {
      String size = line(in);
      if (size == null) {
        return;
      }
      int semi = size.indexOf(';');
      int n = Integer.parseInt((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
      if (n == 0) {
        String trailer;
        while ((trailer = line(in)) != null && !trailer.isEmpty()) {
          // trailers ignored
        }
        return;
      }
      body.write(in.readNBytes(n));
      line(in);
    }
  }

  private static void readToClose(InputStream in, ByteArrayOutputStream body) throws IOException {
    byte[] buf = new byte[8192];
    int n;
    while ((n = in.read(buf)) >= 0) {
      body.write(buf, 0, n);
    }
  }

  /** A CRLF (or LF) terminated line as ISO-8859-1, null at end of stream before any byte. */
  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    boolean any = false;
    while ((b = in.read()) >= 0) {
      any = true;
      if (b == '\n') {
        break;
      }
      line.write(b);
    }
    if (!any) {
      return null;
    }
    byte[] bytes = line.toByteArray();
    int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
    return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
  }

  /**
   * Builds a request: the request line, headers (each "Name: value", raw), and a body.
   * Content-Length is the caller's business.
   */
  static byte[] request(String method, String target, List<String> headers, byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<String> lines = new ArrayList<>();
    lines.add(method + " " + target + " HTTP/1.1");
    lines.addAll(headers);
    out.writeBytes(latin1(String.join("\r\n", lines) + "\r\n\r\n"));
    if (body != null) {
      out.writeBytes(body);
    }
    return out.toByteArray();
  }
}
