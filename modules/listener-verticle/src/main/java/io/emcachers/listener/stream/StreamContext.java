package io.emcachers.listener.stream;

import io.emcachers.core.client.OplogClient;
import io.emcachers.listener.ListenerConfig;
import io.emcachers.listener.flow.BatchWindow;
import io.emcachers.mongo.MongoSource;
import io.vertx.core.Vertx;
import java.time.Clock;

/**
 * What every stream of a session shares: the runtime, config and clock, the source, the window, the
 * owner's hooks and the session's oplog client (re-reading the committed resume token).
 */
record StreamContext(
    Vertx vertx,
    ListenerConfig config,
    Clock clock,
    MongoSource source,
    BatchWindow window,
    StreamHooks hooks,
    OplogClient oplog) {}
