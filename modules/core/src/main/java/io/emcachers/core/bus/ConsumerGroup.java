package io.emcachers.core.bus;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A set of event-bus consumers of one owner (usually a verticle), registered and unregistered
 * together. Request handlers go through {@link Bus#handle} (typed body, reply or failure code);
 * event listeners get the bodies of the expected type and ignore any other body. Not thread-safe:
 * use it from the owner's context.
 */
public final class ConsumerGroup {

  private final Vertx vertx;
  private final List<MessageConsumer<Object>> consumers = new ArrayList<>();

  public ConsumerGroup(Vertx vertx) {
    this.vertx = vertx;
  }

  /**
   * A clustered consumer of {@code address} expecting {@code type}, replying with the handler's
   * result.
   */
  public <T, R> ConsumerGroup handle(
      String address, Class<T> type, Function<T, Future<R>> handler) {
    consumers.add(
        vertx.eventBus().<Object>consumer(address, msg -> Bus.handle(msg, type, handler)));
    return this;
  }

  /** Like {@link #handle}, for a handler that also reads the request's headers. */
  public <T, R> ConsumerGroup handleWithHeaders(
      String address, Class<T> type, BiFunction<T, MultiMap, Future<R>> handler) {
    consumers.add(
        vertx
            .eventBus()
            .<Object>consumer(
                address, msg -> Bus.handle(msg, type, body -> handler.apply(body, msg.headers()))));
    return this;
  }

  /**
   * A node-local consumer of {@code address} expecting {@code type}, replying with the handler's
   * result.
   */
  public <T, R> ConsumerGroup handleLocal(
      String address, Class<T> type, Function<T, Future<R>> handler) {
    consumers.add(
        vertx.eventBus().<Object>localConsumer(address, msg -> Bus.handle(msg, type, handler)));
    return this;
  }

  /** Like {@link #handleLocal}, for a handler that also reads the request's headers. */
  public <T, R> ConsumerGroup handleLocalWithHeaders(
      String address, Class<T> type, BiFunction<T, MultiMap, Future<R>> handler) {
    consumers.add(
        vertx
            .eventBus()
            .<Object>localConsumer(
                address, msg -> Bus.handle(msg, type, body -> handler.apply(body, msg.headers()))));
    return this;
  }

  /**
   * A clustered listener of {@code address} (publish/send, no reply): bodies of another type are
   * ignored.
   */
  public <T> ConsumerGroup listen(String address, Class<T> type, Consumer<T> listener) {
    consumers.add(
        vertx.eventBus().<Object>consumer(address, msg -> deliver(msg.body(), type, listener)));
    return this;
  }

  /**
   * A node-local listener of {@code address} (publish/send, no reply): bodies of another type are
   * ignored.
   */
  public <T> ConsumerGroup listenLocal(String address, Class<T> type, Consumer<T> listener) {
    consumers.add(
        vertx
            .eventBus()
            .<Object>localConsumer(address, msg -> deliver(msg.body(), type, listener)));
    return this;
  }

  private static <T> void deliver(Object body, Class<T> type, Consumer<T> listener) {
    if (type.isInstance(body)) {
      listener.accept(type.cast(body));
    }
  }

  /**
   * Completes when every consumer's registration has propagated (cluster-wide when clustered);
   * fails when one fails.
   */
  public Future<Void> ready() {
    List<Future<Void>> all = new ArrayList<>();
    consumers.forEach(c -> all.add(c.completion()));
    return Future.all(all).mapEmpty();
  }

  /** The addresses of the registered consumers, in registration order. */
  public List<String> addresses() {
    return consumers.stream().map(MessageConsumer::address).toList();
  }

  /** Unregisters every consumer; completes when all are gone (even if one failed). */
  public Future<Void> unregisterAll() {
    List<Future<Void>> all = new ArrayList<>();
    consumers.forEach(c -> all.add(c.unregister()));
    consumers.clear();
    return Future.join(all).mapEmpty();
  }
}
