package io.emcachers.listener.stream;

import io.vertx.core.json.JsonObject;

/**
 * What a resume token tells about time. MongoDB's tokens ({@code {"_data": hex}}) are KeyString
 * encodings whose first value is the event's cluster time: type byte {@code 0x82} (timestamp) and
 * the 8-byte big-endian timestamp (seconds, then increment). So an empty {@code getMore}'s
 * post-batch resume token tells up to which cluster time the stream has delivered everything, even
 * when its collection had no change. Tokens of another form (the wire-protocol test server's, an
 * older server's) give no time.
 */
final class ResumeTokens {

  private ResumeTokens() {}

  /** The cluster time (BSON timestamp as its 64-bit value) a token starts with, or null. */
  static Long clusterTime(JsonObject token) {
    Object data = token == null ? null : token.getValue("_data");
    if (!(data instanceof String hex)
        || hex.length() < 18
        || !hex.regionMatches(true, 0, "82", 0, 2)) {
      return null;
    }
    try {
      return Long.parseUnsignedLong(hex.substring(2, 18), 16);
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
