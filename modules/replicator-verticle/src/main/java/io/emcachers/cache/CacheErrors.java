package io.emcachers.cache;

import io.emcachers.core.bus.BusException;
import io.emcachers.core.bus.ErrorCodes;
import io.vertx.core.Future;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The verticle edge's one mapping from {@link CacheException} kinds to bus failure codes; every
 * other error passes through to {@code Bus.handle} unchanged. Messages are kept as they are.
 */
public final class CacheErrors {

  private CacheErrors() {}

  /** The bus failure code of a storage failure of {@code kind}. */
  public static int code(CacheException.Kind kind) {
    return switch (kind) {
      case NOT_FOUND -> ErrorCodes.NOT_FOUND;
      case INVALID -> ErrorCodes.BAD_REQUEST;
      case FORBIDDEN -> ErrorCodes.FORBIDDEN;
      case TIMEOUT -> ErrorCodes.TIMEOUT;
      case UNAVAILABLE -> ErrorCodes.UNAVAILABLE;
      case CANCELLED -> ErrorCodes.CONFLICT;
      case FAILED -> ErrorCodes.INTERNAL;
    };
  }

  /**
   * {@code error} as it should cross the bus: a {@link CacheException} becomes a {@link
   * BusException} with its code.
   */
  public static Throwable toBus(Throwable error) {
    return error instanceof CacheException ce
        ? new BusException(code(ce.kind()), ce.getMessage(), ce)
        : error;
  }

  /**
   * {@code handler} with its storage failures (thrown or in the future) mapped by {@link #toBus}.
   */
  public static <T, R> Function<T, Future<R>> mapped(Function<T, Future<R>> handler) {
    return req -> guard(() -> handler.apply(req));
  }

  /** Runs {@code work}, its storage failures (thrown or in the future) mapped by {@link #toBus}. */
  public static <R> Future<R> guard(Supplier<Future<R>> work) {
    Future<R> result;
    try {
      result = work.get();
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    return result.recover(err -> Future.failedFuture(toBus(err)));
  }
}
