package io.emcachers.listener.stream;

import io.emcachers.core.client.OplogClient;
import io.emcachers.listener.ListenerConfig;
import io.emcachers.listener.flow.BatchWindow;
import io.vertx.core.Vertx;
import java.time.Clock;

/**
 * What every stream of a session shares: the runtime, config and clock, where the change events
 * come from, the window, the owner's hooks and the session's oplog client (re-reading the committed
 * resume token).
 */
record StreamContext(
    Vertx vertx,
    ListenerConfig config,
    Clock clock,
    ChangeSource changes,
    BatchWindow window,
    StreamHooks hooks,
    OplogClient oplog) {}
