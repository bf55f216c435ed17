package io.emcachers.listener.stream;

import io.emcachers.listener.ListenerConfig;
import io.emcachers.listener.flow.BatchWindow;
import io.emcachers.listener.mongo.MongoSource;
import io.vertx.core.Vertx;
import java.time.Clock;

/** What every stream of a session shares: the runtime, config and clock, the source, the window and the owner's hooks. */
record StreamContext(Vertx vertx, ListenerConfig config, Clock clock, MongoSource source, BatchWindow window, StreamHooks hooks) {}
