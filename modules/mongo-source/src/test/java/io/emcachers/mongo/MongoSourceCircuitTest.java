package io.emcachers.mongo;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.circuit.Breaker;
import io.emcachers.core.circuit.BreakerConfig;
import io.emcachers.core.circuit.Breakers;
import io.emcachers.core.circuit.CircuitOpenException;
import io.emcachers.devservices.DevMongo;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The source's mongodb circuit breaker: the wire-protocol test server stops, the breaker opens and
 * fails fast, it restarts, the breaker closes.
 */
@Timeout(120)
class MongoSourceCircuitTest {

  static final BsonDocument PING = new BsonDocument("ping", new BsonInt32(1));

  @Test
  void opensWhileMongoIsDownAndClosesWhenItReturns() throws Exception {
    Vertx vertx = Vertx.vertx();
    DevMongo mongo = DevMongo.start(0);
    int port = mongo.port();
    MongoSource source =
        new MongoSource(
            vertx.getOrCreateContext(),
            mongo.url("app"),
            "app",
            new BreakerConfig(2, 300, 1000, 60_000));
    try {
      source.command(null, PING).await(20, TimeUnit.SECONDS);
      assertEquals("closed", source.circuitHealth().getJsonObject("mongodb").getString("state"));

      mongo.close();
      // pings time out (call_timeout_ms) or fail on the socket; two of them open the breaker
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                try {
                  source.command(null, PING).await(20, TimeUnit.SECONDS);
                } catch (Exception e) {
                  // expected while down
                }
                return source.breaker().state() != Breaker.CircuitState.CLOSED;
              });
      AtomicReference<Throwable> fast = new AtomicReference<>();
      await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(20))
          .until(
              () -> {
                try {
                  source.command(null, PING).await(20, TimeUnit.SECONDS);
                  return false;
                } catch (Exception e) {
                  fast.set(e);
                  return e instanceof CircuitOpenException;
                }
              });
      assertInstanceOf(CircuitOpenException.class, fast.get());
      assertEquals(ErrorCodes.UNAVAILABLE, ((CircuitOpenException) fast.get()).code());
      assertTrue(
          fast.get().getMessage().startsWith("mongodb circuit open: command ping not attempted"),
          fast.get().getMessage());
      JsonObject health = source.circuitHealth().getJsonObject("mongodb");
      assertTrue(health.getLong("opened_total") >= 1, health.encode());
      assertTrue(Breakers.gaugeValue(Breakers.MONGODB) >= 1);

      mongo = DevMongo.start(port);
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                try {
                  source.command(null, PING).await(20, TimeUnit.SECONDS);
                  return true;
                } catch (Exception e) {
                  return false;
                }
              });
      assertEquals("closed", source.circuitHealth().getJsonObject("mongodb").getString("state"));
    } finally {
      source.close();
      mongo.close();
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
