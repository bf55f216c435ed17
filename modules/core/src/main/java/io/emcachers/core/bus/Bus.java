package io.emcachers.core.bus;

import io.emcachers.core.validation.ValidationException;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Typed request/reply helpers and the one mapping from exceptions to failure codes. */
public final class Bus {

  private static final Logger LOG = LoggerFactory.getLogger(Bus.class);

  private Bus() {}

  /** Sends {@code request} and returns the reply body cast to {@code replyType}. */
  public static <R> Future<R> request(
      EventBus bus, String address, Object request, Class<R> replyType) {
    return request(bus, address, request, replyType, new DeliveryOptions());
  }

  public static <R> Future<R> request(
      EventBus bus, String address, Object request, Class<R> replyType, DeliveryOptions options) {
    return bus.request(address, request, options)
        .map(
            m -> {
              Object body = m.body();
              if (body != null && !replyType.isInstance(body)) {
                throw new BusException(
                    ErrorCodes.INTERNAL,
                    address
                        + " replied "
                        + body.getClass().getSimpleName()
                        + ", expected "
                        + replyType.getSimpleName());
              }
              return replyType.cast(body);
            });
  }

  /**
   * Runs {@code handler} on the message body (checked against {@code type}) and replies with its
   * result, or fails the message with the code for whatever went wrong. Never throws.
   */
  public static <T, R> void handle(
      Message<Object> message, Class<T> type, Function<T, Future<R>> handler) {
    Object body;
    try {
      // a clustered message decodes its body here; a body its codec refuses is the sender's mistake
      body = message.body();
    } catch (RuntimeException e) {
      message.fail(ErrorCodes.BAD_REQUEST, textOf(e));
      return;
    }
    if (body == null || !type.isInstance(body)) {
      message.fail(
          ErrorCodes.BAD_REQUEST,
          "expected "
              + type.getSimpleName()
              + " body, got "
              + (body == null ? "null" : body.getClass().getSimpleName()));
      return;
    }
    Future<R> result;
    try {
      result = handler.apply(type.cast(body));
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    result.onComplete(
        ar -> {
          if (ar.succeeded()) {
            message.reply(ar.result());
          } else {
            fail(message, ar.cause());
          }
        });
  }

  /** Fails {@code message} with the code that matches {@code error}. */
  public static void fail(Message<?> message, Throwable error) {
    int code = codeOf(error);
    if (code == ErrorCodes.INTERNAL) {
      LOG.warn("{} failed: {}", message.address(), error.toString(), error);
    }
    message.fail(code, textOf(error));
  }

  public static int codeOf(Throwable error) {
    if (error instanceof BusException be) {
      return be.code();
    }
    if (error instanceof ValidationException) {
      return ErrorCodes.VALIDATION;
    }
    if (error instanceof ReplyException re) {
      return re.failureCode() == -1 ? ErrorCodes.UNAVAILABLE : re.failureCode();
    }
    if (error instanceof IllegalArgumentException) {
      return ErrorCodes.BAD_REQUEST;
    }
    return ErrorCodes.INTERNAL;
  }

  public static String textOf(Throwable error) {
    if (error instanceof ValidationException ve) {
      return new JsonObject()
          .put("message", "invalid entity definition")
          .put("errors", ve.errorsJson())
          .encode();
    }
    String msg = error.getMessage();
    return msg == null ? error.getClass().getSimpleName() : msg;
  }
}
