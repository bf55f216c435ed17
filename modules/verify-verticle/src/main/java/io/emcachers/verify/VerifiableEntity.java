package io.emcachers.verify;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.BusException;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.CacheEntityRequest;
import io.emcachers.core.messages.CacheInfoReply;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.EntityStatus;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;

/**
 * What {@code emc.verify.start} checks before a run starts ({@link VerifyVerticle}): the entity
 * exists ({@code emc.entities.get}; NOT_FOUND otherwise), is live (CONFLICT otherwise: nothing to
 * verify yet) and has a cache on this node ({@code emc.cache.info}, node-local; NOT_FOUND
 * otherwise).
 */
final class VerifiableEntity {

  private VerifiableEntity() {}

  /** The entity {@code name}, once it is known to be live with a cache on this node. */
  static Future<Entity> check(VerifyRun.With with, String name) {
    return with.entities()
        .get(name)
        .recover(err -> Future.failedFuture(notFound(err, "unknown entity " + name)))
        .compose(reply -> checkCache(with, reply.entity()));
  }

  private static Future<Entity> checkCache(VerifyRun.With with, Entity entity) {
    if (entity.status() != EntityStatus.live) {
      return Future.failedFuture(
          new BusException(
              ErrorCodes.CONFLICT,
              "entity "
                  + entity.name()
                  + " is "
                  + entity.status()
                  + ", not live: nothing to verify yet"));
    }
    return with.cache()
        .request(
            Addresses.CACHE_INFO,
            new CacheEntityRequest(entity.name()),
            CacheInfoReply.class,
            new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000))
        .recover(
            err ->
                Future.failedFuture(
                    notFound(err, "no cache of " + entity.name() + " on this node")))
        .map(
            info -> {
              JsonObject e =
                  info.info()
                      .getJsonObject("entities", new JsonObject())
                      .getJsonObject(entity.name());
              if (e == null || !e.getBoolean("exists", true)) {
                throw BusException.notFound("no cache of " + entity.name() + " on this node");
              }
              return entity;
            });
  }

  private static Throwable notFound(Throwable err, String message) {
    if (err instanceof ReplyException re
        && (re.failureCode() == ErrorCodes.NOT_FOUND || re.failureCode() == -1)) {
      return BusException.notFound(message);
    }
    return err;
  }
}
