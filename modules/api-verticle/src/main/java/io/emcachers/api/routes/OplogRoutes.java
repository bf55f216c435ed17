package io.emcachers.api.routes;

import static io.emcachers.api.routes.RouteFactory.Access.READ;

import io.emcachers.api.BusClient;
import io.emcachers.api.errors.ApiException;
import io.emcachers.core.messages.OplogReadReply;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Oplog reads in id order through {@code emc.oplog.read}, with the id to ask after next. With
 * {@code compacted=true} (query parameter, or {@code "compacted": true} in the batch body) they
 * read the compacted state through {@code emc.oplog.read.compacted} instead: below the compaction
 * horizon only the latest row of each document, never failing. A plain read of history that
 * compaction removed answers 410 {@code compacted}, telling the client to re-read from {@code
 * after=0} with {@code compacted=true}, replace what it built, and go on from {@code next_after}.
 */
public final class OplogRoutes {

  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 10_000;
  public static final int MAX_BATCH_ENTITIES = 100;

  private final BusClient bus;

  public OplogRoutes(BusClient bus) {
    this.bus = bus;
  }

  public void mount(RouteFactory routes) {
    routes
        .route(HttpMethod.GET, "/api/oplogs/:entity", READ)
        .handler(ctx -> Http.respond(ctx, 200, this::readOne));
    // A read with a body: needs the key only when reads do.
    routes
        .withBody(HttpMethod.POST, "/api/oplogs/batch", READ)
        .handler(ctx -> Http.respond(ctx, 200, this::readBatch));
  }

  private Future<JsonObject> readOne(RoutingContext ctx) {
    String entity = Http.entityName("entity", ctx.pathParam("entity"));
    long after = Http.longParam(ctx, "after", 0, 0, Long.MAX_VALUE);
    int limit = (int) Http.longParam(ctx, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
    boolean compacted = Http.boolParam(ctx, "compacted", false);
    return read(after, limit, List.of(entity), compacted).map(r -> r.put("entity", entity));
  }

  private Future<JsonObject> readBatch(RoutingContext ctx) {
    JsonObject body = Http.bodyObject(ctx);
    JsonArray errors = new JsonArray();
    List<String> entities = new ArrayList<>();
    Object es = body.getValue("entities");
    if (!(es instanceof JsonArray arr) || arr.isEmpty() || arr.size() > MAX_BATCH_ENTITIES) {
      errors.add(
          err("entities", "is required: an array of 1 to " + MAX_BATCH_ENTITIES + " entity names"));
    } else {
      LinkedHashSet<String> seen = new LinkedHashSet<>();
      for (int i = 0; i < arr.size(); i++) {
        Object v = arr.getValue(i);
        if (!(v instanceof String s)
            || !io.emcachers.core.validation.EntityValidator.isValidName(s)) {
          errors.add(
              err(
                  "entities[" + i + "]",
                  "must be an entity name matching "
                      + io.emcachers.core.validation.EntityValidator.NAME.pattern()
                      + ", got "
                      + v));
        } else {
          seen.add(s);
        }
      }
      entities.addAll(seen);
    }
    long after = number(body, "after", 0, 0, Long.MAX_VALUE, errors);
    long limit = number(body, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT, errors);
    Object c = body.getValue("compacted");
    if (c != null && !(c instanceof Boolean)) {
      errors.add(err("compacted", "must be true or false, got " + c));
    }
    boolean compacted = Boolean.TRUE.equals(c);
    if (!errors.isEmpty()) {
      throw new ApiException(400, "validation_failed", "invalid oplog batch request", errors);
    }
    return read(after, (int) limit, entities, compacted)
        .map(r -> r.put("entities", new JsonArray(entities)));
  }

  private Future<JsonObject> read(long after, int limit, List<String> entities, boolean compacted) {
    Future<OplogReadReply> read =
        compacted
            ? bus.oplog().readCompacted(after, limit, entities)
            : bus.oplog().read(after, limit, entities);
    return read.recover(
            e ->
                Future.failedFuture(
                    e instanceof ApiException a && a.status() == 410
                        ? new ApiException(
                            410,
                            a.code(),
                            a.getMessage()
                                + ". Over the API: read again from after=0 with compacted=true.")
                        : e))
        .map(
            reply -> {
              JsonArray rows = new JsonArray();
              reply.rows().forEach(r -> rows.add(r.toJson()));
              return new JsonObject()
                  .put("rows", rows)
                  .put("count", rows.size())
                  .put("head_id", reply.headId())
                  .put("next_after", reply.nextAfter())
                  .put("compacted", compacted);
            });
  }

  private static long number(
      JsonObject body, String field, long def, long min, long max, JsonArray errors) {
    Object v = body.getValue(field);
    if (v == null) {
      return def;
    }
    if (!(v instanceof Integer || v instanceof Long)
        || ((Number) v).longValue() < min
        || ((Number) v).longValue() > max) {
      errors.add(err(field, "must be an integer between " + min + " and " + max + ", got " + v));
      return def;
    }
    return ((Number) v).longValue();
  }

  static JsonObject err(String field, String message) {
    return new JsonObject().put("field", field).put("message", message);
  }
}
