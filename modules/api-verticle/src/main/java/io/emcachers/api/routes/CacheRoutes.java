package io.emcachers.api.routes;

import static io.emcachers.api.routes.RouteFactory.Access.READ;

import io.emcachers.api.BusClient;
import io.emcachers.api.cluster.HolderReads;
import io.emcachers.api.errors.ApiException;
import io.emcachers.api.errors.ErrorResponses;
import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.client.CacheClient;
import io.emcachers.core.messages.CacheQueryRequest;
import io.emcachers.core.messages.CacheRowsReply;
import io.vertx.core.Future;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.function.BiFunction;

/**
 * Reads from the SQLite caches through the per-entity read address ({@link
 * Addresses#cacheQueryFor}), which only nodes holding a caught-up cache of the entity register.
 * When nobody answers, the entity manager tells an unknown entity (404) from a cache that is not
 * ready yet (503).
 */
public final class CacheRoutes {

  public static final int DEFAULT_PAGE = 100;
  public static final int MAX_PAGE = 1000;
  public static final int MAX_PARAMS = 100;
  public static final int MAX_DOC_ID_LENGTH = 1024;
  public static final int DEFAULT_SEARCH = 20;
  public static final int MAX_SEARCH_QUERY_LENGTH = 1000;

  private final BusClient bus;
  private final int queryMaxRows;
  private final long queryTimeoutMs;
  private final HolderReads holders;

  public CacheRoutes(BusClient bus, HolderReads holders, int queryMaxRows, long queryTimeoutMs) {
    this.bus = bus;
    this.holders = holders;
    this.queryMaxRows = queryMaxRows;
    this.queryTimeoutMs = queryTimeoutMs;
  }

  public void mount(RouteFactory routes) {
    routes
        .route(HttpMethod.GET, "/api/cache/:entity/docs/:id", READ)
        .handler(ctx -> Http.respond(ctx, 200, this::doc));
    routes
        .route(HttpMethod.GET, "/api/cache/:entity/docs", READ)
        .handler(ctx -> Http.respond(ctx, 200, this::page));
    routes
        .withBody(HttpMethod.POST, "/api/cache/:entity/query", READ)
        .handler(ctx -> Http.respond(ctx, 200, this::query));
    routes
        .route(HttpMethod.GET, "/api/cache/:entity/search", READ)
        .handler(ctx -> Http.respond(ctx, 200, this::search));
  }

  /**
   * Full-text search over the entity's search columns: {@code q} is an FTS5 query, at most {@code
   * limit} rows best first, each with {@code _rank} (bm25) and {@code _snippet}.
   */
  private Future<JsonObject> search(RoutingContext ctx) {
    String entity = Http.entityName("entity", ctx.pathParam("entity"));
    String q = ctx.request().getParam("q");
    if (q == null || q.isBlank() || q.length() > MAX_SEARCH_QUERY_LENGTH) {
      throw ApiException.invalidField(
          "q", "is required: a full-text query of 1 to " + MAX_SEARCH_QUERY_LENGTH + " characters");
    }
    int limit = (int) Http.longParam(ctx, "limit", DEFAULT_SEARCH, 1, queryMaxRows);
    long busTimeout = Math.min(bus.timeoutMs(), queryTimeoutMs + 2_000);
    return ask(entity, busTimeout, (reads, t) -> reads.search(entity, q, limit, t))
        .map(reply -> rows(reply).put("q", q));
  }

  private Future<JsonObject> doc(RoutingContext ctx) {
    String entity = Http.entityName("entity", ctx.pathParam("entity"));
    String id = ctx.pathParam("id");
    if (id == null || id.isEmpty() || id.length() > MAX_DOC_ID_LENGTH) {
      throw ApiException.invalidField(
          "id", "must be a document id of 1 to " + MAX_DOC_ID_LENGTH + " characters");
    }
    return ask(entity, bus.timeoutMs(), (reads, t) -> reads.doc(entity, id, t))
        .map(
            reply -> {
              if (reply.rows().isEmpty()) {
                throw ApiException.notFound(
                    "no document with id " + Http.quote(id) + " in the cache of " + entity);
              }
              return reply.rows().get(0);
            });
  }

  private Future<JsonObject> page(RoutingContext ctx) {
    String entity = Http.entityName("entity", ctx.pathParam("entity"));
    String after = ctx.request().getParam("after");
    if (after != null && (after.isEmpty() || after.length() > MAX_DOC_ID_LENGTH)) {
      throw ApiException.invalidField(
          "after", "must be a document id of 1 to " + MAX_DOC_ID_LENGTH + " characters");
    }
    int limit = (int) Http.longParam(ctx, "limit", DEFAULT_PAGE, 1, MAX_PAGE);
    return ask(entity, bus.timeoutMs(), (reads, t) -> reads.page(entity, after, limit, t))
        .map(reply -> rows(reply).put("next", reply.next()));
  }

  private Future<JsonObject> query(RoutingContext ctx) {
    String entity = Http.entityName("entity", ctx.pathParam("entity"));
    JsonObject body = Http.bodyObject(ctx);
    JsonArray errors = new JsonArray();
    Object sqlValue = body.getValue("sql");
    String sql = sqlValue instanceof String s ? s : null;
    String sqlError = sqlValue != null && sql == null ? "must be a string" : SqlGuard.reject(sql);
    if (sqlError != null) {
      errors.add(OplogRoutes.err("sql", sqlError));
    }
    Object paramsValue = body.getValue("params");
    JsonArray params = new JsonArray();
    if (paramsValue != null) {
      if (!(paramsValue instanceof JsonArray arr) || arr.size() > MAX_PARAMS) {
        errors.add(
            OplogRoutes.err("params", "must be an array of at most " + MAX_PARAMS + " values"));
      } else {
        for (int i = 0; i < arr.size(); i++) {
          Object p = arr.getValue(i);
          if (p instanceof JsonObject || p instanceof JsonArray) {
            errors.add(
                OplogRoutes.err("params[" + i + "]", "must be a string, number, boolean or null"));
          }
        }
        params = arr;
      }
    }
    int maxRows = queryMaxRows;
    Object mr = body.getValue("max_rows");
    if (mr != null) {
      if (!(mr instanceof Integer || mr instanceof Long)
          || ((Number) mr).longValue() < 1
          || ((Number) mr).longValue() > queryMaxRows) {
        errors.add(
            OplogRoutes.err(
                "max_rows", "must be an integer between 1 and " + queryMaxRows + ", got " + mr));
      } else {
        maxRows = ((Number) mr).intValue();
      }
    }
    if (!errors.isEmpty()) {
      throw new ApiException(400, "validation_failed", "invalid cache query", errors);
    }
    long busTimeout = Math.min(bus.timeoutMs(), queryTimeoutMs + 2_000);
    CacheQueryRequest query = new CacheQueryRequest(entity, sql, params, maxRows, queryTimeoutMs);
    return ask(entity, busTimeout, (reads, t) -> reads.query(query, t)).map(CacheRoutes::rows);
  }

  private static JsonObject rows(CacheRowsReply reply) {
    return new JsonObject()
        .put("rows", new JsonArray(new java.util.ArrayList<>(reply.rows())))
        .put("count", reply.rows().size())
        .put("truncated", reply.truncated());
  }

  /**
   * Sends to a node that serves the entity ({@link HolderReads}: this node first, failing over to
   * the others, then the entity's read address); explains a missing handler.
   */
  private Future<CacheRowsReply> ask(
      String entity, long timeoutMs, BiFunction<CacheClient, Long, Future<CacheRowsReply>> read) {
    String address = Addresses.cacheQueryFor(entity);
    return holders
        .read(entity, bus.cacheReads(), timeoutMs, read)
        .recover(
            t -> {
              if (t instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
                return explainNoCache(entity);
              }
              return Future.failedFuture(ErrorResponses.from(t, address));
            });
  }

  private Future<CacheRowsReply> explainNoCache(String entity) {
    return bus.entities()
        .get(entity)
        .transform(
            ar -> {
              if (ar.succeeded()
                  && ar.result().entity().status()
                      == io.emcachers.core.model.EntityStatus.deleted) {
                return Future.failedFuture(
                    ApiException.notFound("unknown entity: " + entity + " (deleted)"));
              }
              if (ar.succeeded()) {
                return Future.failedFuture(
                    new ApiException(
                        503,
                        "cache_not_ready",
                        "no node holds a caught-up cache of "
                            + entity
                            + " (entity status: "
                            + ar.result().entity().status()
                            + "); retry later"));
              }
              if (ar.cause() instanceof ApiException api
                  && api.status() == ErrorCodes.httpStatus(ErrorCodes.NOT_FOUND)) {
                return Future.failedFuture(ApiException.notFound("unknown entity: " + entity));
              }
              return Future.failedFuture(
                  new ApiException(
                      503,
                      "cache_not_ready",
                      "no node holds a caught-up cache of " + entity + "; retry later"));
            });
  }
}
