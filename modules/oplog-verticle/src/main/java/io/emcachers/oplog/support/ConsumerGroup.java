package io.emcachers.oplog.support;

import io.emcachers.core.bus.Bus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** A set of event-bus consumers registered and unregistered together; each handler goes through {@link Bus#handle}. */
public final class ConsumerGroup {

  private final Vertx vertx;
  private final List<MessageConsumer<Object>> consumers = new ArrayList<>();

  public ConsumerGroup(Vertx vertx) {
    this.vertx = vertx;
  }

  /** A clustered consumer of {@code address} expecting {@code type}. */
  public <T, R> ConsumerGroup handle(String address, Class<T> type, Function<T, Future<R>> handler) {
    consumers.add(vertx.eventBus().<Object>consumer(address, msg -> Bus.handle(msg, type, handler)));
    return this;
  }

  /** A node-local consumer of {@code address} expecting {@code type}. */
  public <T, R> ConsumerGroup handleLocal(String address, Class<T> type, Function<T, Future<R>> handler) {
    consumers.add(vertx.eventBus().<Object>localConsumer(address, msg -> Bus.handle(msg, type, handler)));
    return this;
  }

  /** Completes when every consumer's registration has propagated (cluster-wide when clustered). */
  public Future<Void> ready() {
    List<Future<Void>> all = new ArrayList<>();
    consumers.forEach(c -> all.add(c.completion()));
    return Future.all(all).mapEmpty();
  }

  public List<String> addresses() {
    return consumers.stream().map(MessageConsumer::address).toList();
  }

  /** Unregisters every consumer; completes when all are gone. */
  public Future<Void> unregisterAll() {
    List<Future<Void>> all = new ArrayList<>();
    consumers.forEach(c -> all.add(c.unregister()));
    consumers.clear();
    return Future.join(all).mapEmpty();
  }
}
