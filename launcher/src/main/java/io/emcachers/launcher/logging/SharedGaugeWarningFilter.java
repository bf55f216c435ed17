package io.emcachers.launcher.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

/**
 * Drops Micrometer's "This Gauge has been already registered" WARN for Vert.x event-bus gauges, and
 * only for those.
 *
 * <p>vertx-micrometer-metrics registers the {@code vertx.eventbus.handlers} and {@code
 * vertx.eventbus.pending} gauges once per consumer; consumers of one address share one counter, so
 * the values are right, but every consumer after the first re-registers an existing gauge. Several
 * consumers on one address is how our publish/subscribe addresses work ({@code
 * emc.entities.changed} has one per component in the all-in-one node), so the WARN would print on
 * every start. A double registration of any other gauge, ours included, still logs.
 */
public final class SharedGaugeWarningFilter extends TurboFilter {

  static final String REGISTRY_LOGGER = "io.micrometer.core.instrument.MeterRegistry";
  static final String MESSAGE =
      "This Gauge has been already registered (MeterId{name='vertx.eventbus.";

  @Override
  public FilterReply decide(
      Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (format != null
        && level == Level.WARN
        && REGISTRY_LOGGER.equals(logger.getName())
        && format.startsWith(MESSAGE)) {
      return FilterReply.DENY;
    }
    return FilterReply.NEUTRAL;
  }
}
