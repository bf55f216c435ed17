package io.emcachers.core.bus;

/** An error meant to cross the bus as {@code message.fail(code, getMessage())}. */
public class BusException extends RuntimeException {

  private final int code;

  public BusException(int code, String message) {
    super(message);
    this.code = code;
  }

  public BusException(int code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public int code() {
    return code;
  }

  public static BusException notFound(String what) {
    return new BusException(ErrorCodes.NOT_FOUND, what);
  }

  public static BusException badRequest(String what) {
    return new BusException(ErrorCodes.BAD_REQUEST, what);
  }
}
