package io.emcachers.api.routes;

import static io.emcachers.api.routes.RouteFactory.Access.READ;

import io.emcachers.api.changes.CacheWait;
import io.emcachers.api.changes.FeedConfig;
import io.emcachers.api.errors.ApiException;
import io.emcachers.api.errors.ErrorResponses;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Read-your-writes (issue 14): {@code GET /api/cache/{entity}/wait?cluster_time=T&timeout_ms=N} (or
 * {@code ?oplog_id=N}) answers 200 once this node's cache of the entity reflects every source
 * change up to MongoDB cluster time T (a session's {@code operationTime} after a write), 408 {@code
 * wait_timeout} when {@code timeout_ms} passes first. See {@link CacheWait}.
 */
public final class WaitRoutes {

  /** {@code seconds.increment}, or the timestamp's 64-bit value. */
  static final Pattern CLUSTER_TIME = Pattern.compile("^(\\d{1,19})(?:\\.(\\d{1,10}))?$");

  private final CacheWait waits;
  private final FeedConfig config;

  public WaitRoutes(CacheWait waits, FeedConfig config) {
    this.waits = waits;
    this.config = config;
  }

  public void mount(RouteFactory routes) {
    // stream(): a wait may outlast api.request_timeout_ms; its own bound is timeout_ms
    routes.stream(HttpMethod.GET, "/api/cache/:entity/wait", READ, false).handler(this::wait);
  }

  private void wait(RoutingContext ctx) {
    String entity;
    Long clusterTime;
    Long oplogId;
    long timeout;
    try {
      entity = Http.entityName("entity", ctx.pathParam("entity"));
      clusterTime = clusterTime(ctx.request().getParam("cluster_time"));
      String id = ctx.request().getParam("oplog_id");
      oplogId =
          id == null || id.isEmpty() ? null : Http.longParam(ctx, "oplog_id", 0, 0, Long.MAX_VALUE);
      if ((clusterTime == null) == (oplogId == null)) {
        throw ApiException.invalidField(
            clusterTime == null ? "cluster_time" : "oplog_id",
            "exactly one of cluster_time (a MongoDB cluster time: seconds.increment, e.g. the"
                + " session's operationTime after a write) and oplog_id is required");
      }
      timeout = Http.longParam(ctx, "timeout_ms", config.waitTimeoutMs(), 1, config.maxWaitMs());
    } catch (ApiException e) {
      ErrorResponses.send(ctx, e);
      return;
    }
    CacheWait.Wait w = waits.await(entity, clusterTime, oplogId, timeout);
    ctx.response().closeHandler(v -> w.cancel());
    w.result().onSuccess(body -> Http.json(ctx, 200, body)).onFailure(t -> Http.fail(ctx, t));
  }

  /**
   * {@code S.I} (seconds and increment of the BSON timestamp) or one integer (the timestamp's
   * 64-bit value, {@code BsonTimestamp.getValue()}); null when absent.
   */
  static Long clusterTime(String v) {
    if (v == null || v.isEmpty()) {
      return null;
    }
    Matcher m = CLUSTER_TIME.matcher(v.trim());
    if (m.matches()) {
      if (m.group(2) == null) {
        // a bare integer: the 64-bit value (as BsonTimestamp.getValue()), when it fits
        try {
          return Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
          // below
        }
      } else if (m.group(1).length() <= 10) {
        long s = Long.parseLong(m.group(1));
        long i = Long.parseLong(m.group(2));
        if (s <= 0xffff_ffffL && i <= 0xffff_ffffL) {
          return (s << 32) | i;
        }
      }
    }
    throw ApiException.invalidField(
        "cluster_time",
        "must be a MongoDB cluster time: seconds.increment (e.g. 1733220000.3) or the timestamp's"
            + " 64-bit value, got "
            + Http.quote(v));
  }
}
