package io.emcachers.launcher.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;

/** Only the event-bus gauge double registration is dropped; every other registry WARN is kept. */
class SharedGaugeWarningFilterTest {

  @Test
  void dropsOnlyTheSharedEventBusGaugeWarning() {
    LoggerContext context = new LoggerContext();
    SharedGaugeWarningFilter filter = new SharedGaugeWarningFilter();
    filter.start();
    context.addTurboFilter(filter);
    ListAppender<ILoggingEvent> seen = new ListAppender<>();
    seen.setContext(context);
    seen.start();
    Logger registry = context.getLogger(SharedGaugeWarningFilter.REGISTRY_LOGGER);
    registry.addAppender(seen);

    registry.warn(
        "This Gauge has been already registered (MeterId{name='vertx.eventbus.handlers', tags=[]}), the registration will be ignored.");
    registry.warn(
        "This Gauge has been already registered (MeterId{name='vertx.eventbus.pending', tags=[tag(address=emc.status),tag(side=local)]}), the registration will be ignored.");
    assertEquals(0, seen.list.size(), "the shared event-bus gauges are not reported");

    registry.warn(
        "This Gauge has been already registered (MeterId{name='emc_circuit_state', tags=[]}), the registration will be ignored.");
    registry.error(
        "This Gauge has been already registered (MeterId{name='vertx.eventbus.handlers', tags=[]}) at ERROR");
    context.getLogger("other").addAppender(seen);
    context
        .getLogger("other")
        .warn(
            "This Gauge has been already registered (MeterId{name='vertx.eventbus.handlers', tags=[]})");
    assertEquals(3, seen.list.size(), "other gauges, other levels and other loggers still log");
  }
}
