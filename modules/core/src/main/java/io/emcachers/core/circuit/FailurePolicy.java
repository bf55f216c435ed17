package io.emcachers.core.circuit;

import io.emcachers.core.bus.BusException;
import io.emcachers.core.bus.ErrorCodes;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * What counts against a breaker: only infrastructure failures, i.e. the dependency did not answer.
 *
 * <ul>
 *   <li>counts: connection refused / reset / closed, no route, unknown host, I/O errors, timeouts
 *       (the breaker's own call timeout included), and whatever the target's classifier adds
 *       (PostgreSQL: SQLSTATE classes {@code 08} connection exception, {@code 53} insufficient
 *       resources, {@code 57P} shutdown / cannot connect now; MongoDB: socket, timeout, not-primary
 *       and recovering errors);
 *   <li>never counts: a {@link BusException} with a business code ({@code BAD_REQUEST}, {@code
 *       VALIDATION}, {@code NOT_FOUND}, {@code CONFLICT}, {@code STALE}, {@code FORBIDDEN}, {@code
 *       TOO_LARGE}, {@code NOT_LEADER}) anywhere in the cause chain, a {@code BusException} without
 *       a cause (a decision of our own code such as "queue full" or "not the leader"), a refusal by
 *       the breaker itself, and every error the server answered with: constraint violations ({@code
 *       23xxx}), syntax or data errors, and serialization failures / deadlocks ({@code 40001},
 *       {@code 40P01}: the server works, the transaction lost a race and is retried by its caller).
 * </ul>
 *
 * In the half-open state a call that fails with a non-counting error closes the breaker: the server
 * answered.
 */
public final class FailurePolicy {

  private static final Set<Integer> BUSINESS =
      Set.of(
          ErrorCodes.BAD_REQUEST,
          ErrorCodes.VALIDATION,
          ErrorCodes.NOT_FOUND,
          ErrorCodes.CONFLICT,
          ErrorCodes.STALE,
          ErrorCodes.FORBIDDEN,
          ErrorCodes.TOO_LARGE,
          ErrorCodes.NOT_LEADER);

  private FailurePolicy() {}

  /**
   * True when {@code error} is an infrastructure failure.
   *
   * @param error the failure of a guarded call (null: a success, false)
   * @param targetSpecific the target's own classifier (driver exception types, SQLSTATEs), asked
   *     about the whole error when the generic rules do not decide; may be null
   */
  public static boolean isInfrastructure(Throwable error, Predicate<Throwable> targetSpecific) {
    if (error == null || CircuitOpenException.isCircuitOpen(error)) {
      return false;
    }
    if (error instanceof BusException top && top.getCause() == null) {
      return false; // our own decision (queue full, not the leader, ...), not the dependency's
      // failure
    }
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof BusException be && BUSINESS.contains(be.code())) {
        return false;
      }
    }
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (isNetwork(t)) {
        return true;
      }
    }
    return targetSpecific != null && targetSpecific.test(error);
  }

  /**
   * PostgreSQL SQLSTATEs that mean the server is unreachable or not accepting work: class {@code
   * 08} (connection exception), class {@code 53} (insufficient resources: too many connections, out
   * of memory or disk), {@code 57P} (admin / crash shutdown, cannot connect now). Everything else
   * is an answer of a working server.
   */
  public static boolean isInfrastructureSqlState(String sqlState) {
    return sqlState != null
        && (sqlState.startsWith("08") || sqlState.startsWith("53") || sqlState.startsWith("57P"));
  }

  private static boolean isNetwork(Throwable t) {
    return t instanceof ConnectException
        || t instanceof NoRouteToHostException
        || t instanceof UnknownHostException
        || t instanceof ClosedChannelException
        || t instanceof IOException
        || t instanceof TimeoutException
        || t instanceof io.vertx.circuitbreaker.TimeoutException
        || t instanceof io.netty.channel.ConnectTimeoutException;
  }
}
