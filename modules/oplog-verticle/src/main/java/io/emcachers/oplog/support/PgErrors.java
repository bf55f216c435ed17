package io.emcachers.oplog.support;

import io.emcachers.core.bus.BusException;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.validation.ValidationException;
import io.vertx.core.VertxException;
import io.vertx.sqlclient.ClosedConnectionException;
import io.vertx.sqlclient.DatabaseException;
import java.io.IOException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;

/**
 * Classifies PostgreSQL client failures: "the database is unreachable" (retriable) versus a real
 * error.
 */
public final class PgErrors {

  private PgErrors() {}

  /**
   * True when {@code error} means the connection or server is gone or not accepting work (closed
   * socket, refused connect, SQLSTATE class 08 connection exception, 57P0x shutdown / cannot
   * connect now, 53xxx insufficient resources; also a JDBC {@code SQLException} of class 08, as
   * Flyway reports), so the work may be retried later.
   */
  public static boolean isUnavailable(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof ClosedConnectionException
          || t instanceof ConnectException
          || t instanceof TimeoutException
          || t instanceof IOException
          || t instanceof io.netty.channel.ConnectTimeoutException) {
        return true;
      }
      if (t instanceof java.sql.SQLException se
          && se.getSQLState() != null
          && se.getSQLState().startsWith("08")) {
        return true; // JDBC (Flyway) connection exception
      }
      if (t instanceof DatabaseException de) {
        String state = de.getSqlState();
        if (state != null
            && (state.startsWith("08") || state.startsWith("57P") || state.startsWith("53"))) {
          return true;
        }
        return false;
      }
      if (t instanceof BusException be) {
        return be.code() == ErrorCodes.UNAVAILABLE;
      }
      if (t instanceof VertxException && t.getMessage() != null) {
        String m = t.getMessage().toLowerCase();
        if (m.contains("closed") || m.contains("connection") || m.contains("timeout")) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Maps a failure of PostgreSQL work to what crosses the bus: bus and validation errors as they
   * are, unavailability as UNAVAILABLE (retriable), anything else as INTERNAL with the server's
   * message.
   */
  public static Throwable toBus(String what, Throwable error) {
    if (error instanceof BusException
        || error instanceof ValidationException
        || error instanceof IllegalArgumentException) {
      return error;
    }
    if (isUnavailable(error)) {
      return new BusException(
          ErrorCodes.UNAVAILABLE,
          what + ": PostgreSQL unavailable (" + describe(error) + ")",
          error);
    }
    return new BusException(ErrorCodes.INTERNAL, what + " failed: " + describe(error), error);
  }

  public static String describe(Throwable error) {
    String msg = error.getMessage();
    return msg == null ? error.getClass().getSimpleName() : msg;
  }
}
