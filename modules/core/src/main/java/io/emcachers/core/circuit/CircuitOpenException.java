package io.emcachers.core.circuit;

import io.emcachers.core.bus.BusException;
import io.emcachers.core.bus.ErrorCodes;

/**
 * A call refused without being attempted because its target's breaker is open (or half-open with
 * its probe already running). Crosses the bus as {@link ErrorCodes#UNAVAILABLE} (retriable; the API
 * answers 503), with a message that starts with the target: {@code "postgresql circuit open: read
 * oplog not attempted ..."}. It is never evidence that a connection is broken: code that closes
 * sessions on unavailability must skip it.
 */
public final class CircuitOpenException extends BusException {

  private final String target;

  public CircuitOpenException(String target, String message) {
    super(ErrorCodes.UNAVAILABLE, message);
    this.target = target;
  }

  public String target() {
    return target;
  }

  /** True when {@code error} or one of its causes is a refusal by an open breaker. */
  public static boolean isCircuitOpen(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof CircuitOpenException) {
        return true;
      }
    }
    return false;
  }
}
