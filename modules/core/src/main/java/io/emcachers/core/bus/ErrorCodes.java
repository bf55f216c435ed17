package io.emcachers.core.bus;

/**
 * Failure codes carried by {@code message.fail(code, text)}. The API maps each to an HTTP status
 * with {@link #httpStatus(int)}. Codes marked retriable mean "try the same request again later".
 */
public final class ErrorCodes {

  private ErrorCodes() {}

  /** Malformed message (wrong type, missing fields). */
  public static final int BAD_REQUEST = 400;

  /**
   * Input failed validation; the text is JSON {@code {"message":..,"errors":[{field,message}]}}.
   */
  public static final int VALIDATION = 422;

  public static final int FORBIDDEN = 403;
  public static final int NOT_FOUND = 404;
  public static final int CONFLICT = 409;
  public static final int TOO_LARGE = 413;
  public static final int INTERNAL = 500;

  /** A backing store (PostgreSQL, MongoDB, SQLite) is unreachable right now. Retriable. */
  public static final int UNAVAILABLE = 503;

  /** This node is not the oplog leader (standby). Retriable. */
  public static final int NOT_LEADER = 530;

  public static final int TIMEOUT = 504;

  /**
   * The write belongs to a scan attempt or entity generation that is no longer current (a newer
   * scan began, the shape changed, the entity was deleted or re-created). Not retriable: the
   * sender's work is superseded.
   */
  public static final int STALE = 412;

  /**
   * The oplog history a read asks for has been compacted away ({@code emc.oplog.read} with {@code
   * after + 1 < compacted_below}). Not retriable as is: the client re-reads from the start of the
   * compacted state ({@code after = 0}, paging with {@code emc.oplog.read.compacted}), replacing
   * what it built from the old history, then continues from there. The text carries {@code
   * compacted_below=N}. HTTP 410 Gone.
   */
  public static final int COMPACTED = 410;

  public static boolean retriable(int code) {
    return code == UNAVAILABLE || code == NOT_LEADER || code == TIMEOUT || code < 0;
  }

  public static int httpStatus(int code) {
    return switch (code) {
      case BAD_REQUEST, VALIDATION -> 400;
      case FORBIDDEN -> 403;
      case NOT_FOUND -> 404;
      case CONFLICT, STALE -> 409;
      case COMPACTED -> 410;
      case TOO_LARGE -> 413;
      case UNAVAILABLE, NOT_LEADER -> 503;
      case TIMEOUT -> 504;
      default -> code < 0 ? 503 : 500; // negative: Vert.x NO_HANDLERS / TIMEOUT / RECIPIENT_FAILURE
    };
  }

  public static String name(int code) {
    return switch (code) {
      case BAD_REQUEST -> "bad_request";
      case VALIDATION -> "validation_failed";
      case FORBIDDEN -> "forbidden";
      case NOT_FOUND -> "not_found";
      case CONFLICT -> "conflict";
      case STALE -> "stale";
      case COMPACTED -> "compacted";
      case TOO_LARGE -> "too_large";
      case UNAVAILABLE -> "unavailable";
      case NOT_LEADER -> "not_leader";
      case TIMEOUT -> "timeout";
      default -> code < 0 ? "unavailable" : "internal";
    };
  }
}
