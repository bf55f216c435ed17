package io.emcachers.core.bus;

import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.DeliveryOptions;

/**
 * The fencing token of the oplog leader's term on the bus: the listener stamps its writes (appends,
 * scan begin and end) with the lease epoch of the term it works for, in the {@value #HEADER}
 * header; the oplog refuses a stamped write of any other term with {@link ErrorCodes#NOT_LEADER}.
 */
public final class LeaderEpoch {

  /** The header carrying the epoch (a positive decimal number). */
  public static final String HEADER = "emc-leader-epoch";

  private LeaderEpoch() {}

  /** Adds the header to {@code options} when {@code epoch} > 0; returns {@code options}. */
  public static DeliveryOptions stamp(DeliveryOptions options, long epoch) {
    return epoch > 0 ? options.addHeader(HEADER, Long.toString(epoch)) : options;
  }

  /** The stamped epoch, 0 when the request is not stamped; BAD_REQUEST when malformed. */
  public static long of(MultiMap headers) {
    String value = headers == null ? null : headers.get(HEADER);
    if (value == null) {
      return 0;
    }
    try {
      long epoch = Long.parseLong(value.trim());
      if (epoch < 1) {
        throw new NumberFormatException();
      }
      return epoch;
    } catch (NumberFormatException e) {
      throw new BusException(
          ErrorCodes.BAD_REQUEST, HEADER + " must be a positive integer, got '" + value + "'");
    }
  }
}
