package io.emcachers.api.routes;

import static io.emcachers.api.routes.RouteFactory.Access.READ;

import io.emcachers.api.BusClient;
import io.emcachers.api.status.StatusFeedBridge;
import io.emcachers.api.system.EventLoopProbe;
import io.emcachers.api.system.JvmStats;
import io.emcachers.core.bus.Addresses;
import io.emcachers.core.messages.HealthReply;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /api/system/stats} (this JVM, its Vert.x pools, and the cache-db manager's open SQLite
 * connections) and {@code GET /api/jobs} (the scheduled jobs every component reports in {@code
 * details.jobs} of its health reply).
 */
public final class SystemRoutes {

  /** The components asked for their jobs, by name. */
  static final Map<String, String> JOB_SOURCES = new LinkedHashMap<>();

  static {
    JOB_SOURCES.put("oplog", Addresses.OPLOG_HEALTH);
    JOB_SOURCES.put("listener", Addresses.LISTENER_HEALTH);
    JOB_SOURCES.put("replicator", Addresses.REPLICATOR_STATS);
    JOB_SOURCES.put("cache-db", Addresses.CACHE_HEALTH);
  }

  private final BusClient bus;
  private final long componentTimeoutMs;
  private final EventLoopProbe probe;
  private final StatusFeedBridge feed;
  private final String nodeId;

  public SystemRoutes(
      BusClient bus,
      long componentTimeoutMs,
      EventLoopProbe probe,
      StatusFeedBridge feed,
      String nodeId) {
    this.bus = bus;
    this.componentTimeoutMs = componentTimeoutMs;
    this.probe = probe;
    this.feed = feed;
    this.nodeId = nodeId;
  }

  public void mount(RouteFactory routes) {
    routes
        .route(HttpMethod.GET, "/api/system/stats", READ)
        .handler(ctx -> Http.respond(ctx, 200, this::stats));
    routes
        .route(HttpMethod.GET, "/api/jobs", READ)
        .handler(ctx -> Http.respond(ctx, 200, this::jobs));
  }

  private Future<JsonObject> stats(RoutingContext ctx) {
    JsonObject out =
        new JsonObject()
            .put("node", nodeId)
            .put("runtime", JvmStats.runtime())
            .put("memory", JvmStats.memory())
            .put("cpu", JvmStats.cpu())
            .put("threads", JvmStats.threads())
            .put("event_loop", probe.toJson())
            .put("pools", JvmStats.pools())
            .put("status_feed", feed.stats());
    return bus.cache()
        .health(componentTimeoutMs)
        .transform(
            ar -> {
              if (ar.succeeded()) {
                out.put("sqlite", sqlite(ar.result()));
              } else {
                out.put(
                    "sqlite",
                    new JsonObject()
                        .put("open_connections", (Object) null)
                        .put("error", ar.cause().getMessage()));
              }
              return Future.succeededFuture(out);
            });
  }

  /** Open SQLite connections as the cache-db manager reports them. */
  static JsonObject sqlite(HealthReply r) {
    JsonObject d = r.details();
    Object open = null;
    for (String key : List.of("open_connections", "connections_open", "open_dbs", "open")) {
      if (d.getValue(key) instanceof Number n) {
        open = n;
        break;
      }
    }
    JsonObject details = d.copy();
    details.remove("jobs");
    return new JsonObject()
        .put("node", d.getValue("node"))
        .put("open_connections", open)
        .put("details", details);
  }

  private Future<JsonObject> jobs(RoutingContext ctx) {
    List<Future<JsonObject>> asks = new ArrayList<>();
    JOB_SOURCES.forEach(
        (component, address) ->
            asks.add(
                bus.health()
                    .check(address, componentTimeoutMs)
                    .transform(
                        ar ->
                            Future.succeededFuture(
                                ar.succeeded()
                                    ? new JsonObject()
                                        .put("component", component)
                                        .put("reply", ar.result().toJson())
                                    : new JsonObject()
                                        .put("component", component)
                                        .put("address", address)
                                        .put("error", ar.cause().getMessage())))));
    return Future.all(asks)
        .map(
            all -> {
              JsonArray jobs = new JsonArray();
              JsonArray unavailable = new JsonArray();
              for (Future<JsonObject> f : asks) {
                JsonObject r = f.result();
                String component = r.getString("component");
                JsonObject reply = r.getJsonObject("reply");
                if (reply == null) {
                  unavailable.add(
                      new JsonObject()
                          .put("component", component)
                          .put("address", r.getString("address"))
                          .put("reason", r.getString("error")));
                  continue;
                }
                JsonObject details = reply.getJsonObject("details", new JsonObject());
                Object node = details.getValue("node");
                Object list = details.getValue("jobs");
                if (list instanceof JsonArray arr) {
                  for (Object o : arr) {
                    if (o instanceof JsonObject job) {
                      jobs.add(
                          new JsonObject()
                              .put("component", component)
                              .put("node", node)
                              .mergeIn(job));
                    }
                  }
                }
              }
              return new JsonObject().put("jobs", jobs).put("unavailable", unavailable);
            });
  }
}
