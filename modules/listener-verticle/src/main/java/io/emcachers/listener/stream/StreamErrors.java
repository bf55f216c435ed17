package io.emcachers.listener.stream;

import com.mongodb.MongoServerException;
import java.util.Locale;
import java.util.Set;

/**
 * Classifies change-stream failures: "the stored position is no longer usable" versus transient.
 */
final class StreamErrors {

  /**
   * Server error codes meaning the resume position cannot be used: InvalidResumeToken (260),
   * ChangeStreamFatalError (280), ChangeStreamHistoryLost (286), CappedPositionLost (136),
   * BadValue/FailedToParse on the resume token (2, 9), and the legacy "resume token not found"
   * codes 40576/40585/40615.
   */
  static final Set<Integer> POSITION_LOST_CODES = Set.of(260, 280, 286, 136, 40576, 40585, 40615);

  private static final Set<Integer> PARSE_CODES = Set.of(2, 9);

  /**
   * Server codes that say "try again" (elections, shutdown, timeouts, network) rather than "bad
   * position".
   */
  private static final Set<Integer> TRANSIENT_CODES =
      Set.of(
          6, 7, 13, 18, 43, 50, 63, 89, 91, 133, 150, 189, 234, 262, 9001, 10107, 11600, 11602,
          13388, 13435, 13436);

  private StreamErrors() {}

  /**
   * How an attempt ends when the stored position cannot be used: the stream resets it and its
   * entities are re-scanned.
   */
  static final class PositionLost extends RuntimeException {
    PositionLost(Throwable cause) {
      super(cause.getMessage(), cause);
    }
  }

  /**
   * Opening a stream <em>with a stored token</em> failed: true when the server rejected the request
   * itself (a command error that is neither transient nor an auth error), which after a resume
   * token means the token is unusable, whatever code the server version uses for it.
   */
  static boolean resumeRejected(Throwable error) {
    if (positionLost(error)) {
      return true;
    }
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof com.mongodb.MongoCommandException mce) {
        return !TRANSIENT_CODES.contains(mce.getCode())
            && !mce.hasErrorLabel("RetryableWriteError")
            && !mce.hasErrorLabel("ResumableChangeStreamError")
            && !mce.hasErrorLabel("TransientTransactionError");
      }
    }
    return false;
  }

  /**
   * True when opening (or continuing) from a stored token failed because that position is gone or
   * invalid.
   */
  static boolean positionLost(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof MongoServerException mse) {
        int code = mse.getCode();
        String msg = String.valueOf(mse.getMessage()).toLowerCase(Locale.ROOT);
        if (POSITION_LOST_CODES.contains(code)) {
          return true;
        }
        if (PARSE_CODES.contains(code) && (msg.contains("resume") || msg.contains("token"))) {
          return true;
        }
        // servers that answer a malformed or unknown token with a generic error (e.g. the
        // wire-protocol test server: "For input string", NumberFormatException)
        if (msg.contains("resume token")
            || msg.contains("resumetoken")
            || msg.contains("for input string")
            || msg.contains("numberformatexception")
            || msg.contains("history") && msg.contains("lost")) {
          return true;
        }
      }
    }
    return false;
  }
}
