package io.emcachers.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.BusException;
import io.emcachers.core.bus.ErrorCodes;
import io.vertx.core.Future;
import java.sql.SQLException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The verticle edge maps storage failures to the bus codes the API turns into HTTP statuses;
 * messages stay.
 */
class CacheErrorsTest {

  @Test
  void everyKindHasItsBusCode() {
    Map<CacheException.Kind, Integer> expected =
        Map.of(
            CacheException.Kind.NOT_FOUND, ErrorCodes.NOT_FOUND,
            CacheException.Kind.INVALID, ErrorCodes.BAD_REQUEST,
            CacheException.Kind.FORBIDDEN, ErrorCodes.FORBIDDEN,
            CacheException.Kind.TIMEOUT, ErrorCodes.TIMEOUT,
            CacheException.Kind.UNAVAILABLE, ErrorCodes.UNAVAILABLE,
            CacheException.Kind.CANCELLED, ErrorCodes.CONFLICT,
            CacheException.Kind.FAILED, ErrorCodes.INTERNAL);
    assertEquals(CacheException.Kind.values().length, expected.size());
    expected.forEach(
        (kind, code) -> {
          Throwable mapped = CacheErrors.toBus(new CacheException(kind, "text of " + kind));
          assertEquals(code, Bus.codeOf(mapped), kind.name());
          assertEquals("text of " + kind, Bus.textOf(mapped));
        });
  }

  @Test
  void otherErrorsPassThrough() {
    SQLException sql = new SQLException("disk I/O error");
    assertSame(sql, CacheErrors.toBus(sql));
  }

  @Test
  void aMappedHandlerMapsThrownAndFailedStorageErrors() {
    Future<Object> thrown =
        CacheErrors.mapped(
                x -> {
                  throw CacheException.notFound("items");
                })
            .apply("req");
    BusException t = (BusException) thrown.cause();
    assertEquals(ErrorCodes.NOT_FOUND, t.code());
    assertEquals("no cache of entity items on this node", t.getMessage());

    Future<Object> failed =
        CacheErrors.mapped(x -> Future.failedFuture(CacheException.invalid("bad"))).apply("req");
    assertEquals(ErrorCodes.BAD_REQUEST, ((BusException) failed.cause()).code());
    assertEquals("ok", CacheErrors.mapped(x -> Future.succeededFuture("ok")).apply("req").result());
  }
}
