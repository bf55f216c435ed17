package io.emcachers.core.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.Bus;
import io.emcachers.core.bus.BusException;
import io.emcachers.core.bus.Codecs;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.*;
import io.emcachers.core.model.Column;
import io.emcachers.core.model.DataType;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.model.Operation;
import io.emcachers.core.model.Oplog;
import io.emcachers.core.model.Shape;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The typed clients against consumers on a real (local) event bus: each method reaches its address
 * with the right request record and completes with the typed reply; timeouts, options and failure
 * mapping reach the bus.
 */
class ClientsTest {

  static final Instant T = Instant.parse("2026-11-24T10:15:30Z");
  static final Entity ENTITY =
      new Entity(
          "users",
          new Shape("User", "users", List.of(new Column("id", DataType.Text, "_id"))),
          EntityStatus.live,
          3,
          T,
          T,
          2);

  Vertx vertx;

  /** The last request body each address received. */
  final Map<String, Object> seen = new ConcurrentHashMap<>();

  /** The delivery headers of the last request each address received. */
  final Map<String, String> headers = new ConcurrentHashMap<>();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    Codecs.registerAll(vertx.eventBus());
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private <T> void serve(String address, Class<T> type, Function<T, Object> reply)
      throws Exception {
    vertx
        .eventBus()
        .<Object>consumer(
            address,
            m -> {
              m.headers().forEach(h -> headers.put(address + "/" + h.getKey(), h.getValue()));
              Bus.handle(
                  m,
                  type,
                  body -> {
                    seen.put(address, body);
                    return Future.succeededFuture(reply.apply(body));
                  });
            })
        .completion()
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static Throwable failure(Future<?> f) {
    ExecutionException e =
        assertThrows(
            ExecutionException.class,
            () -> f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS));
    return e.getCause();
  }

  @Test
  void oplogClientReachesEveryOplogAddress() throws Exception {
    JsonObject token = new JsonObject().put("_data", "82");
    serve(
        Addresses.OPLOG_APPEND,
        AppendBatch.class,
        b ->
            new AppendResult(
                7, 7, b.entries().size(), 0, b.stream(), b.resumeToken(), new JsonArray(), 0));
    serve(
        Addresses.OPLOG_RESUME_TOKEN,
        ResumeTokenRequest.class,
        r -> new ResumeTokenReply(new JsonObject().put("users", token)));
    serve(
        Addresses.OPLOG_SCAN_BEGIN,
        ScanBeginRequest.class,
        r -> new EntityReply(ENTITY.withStatus(EntityStatus.scanning)));
    serve(
        Addresses.OPLOG_SCAN_STATE,
        ScanStateRequest.class,
        r -> new ScanStateReply(r.entity(), new JsonObject().put("v", 5), r.epoch()));
    serve(Addresses.OPLOG_SCAN_END, ScanEndRequest.class, r -> new ScanEndReply(ENTITY, 4, 9));
    serve(
        Addresses.OPLOG_READ,
        OplogReadRequest.class,
        r ->
            new OplogReadReply(
                List.of(new Oplog(r.after() + 1, Operation.Delete, "a", T, "users", null)),
                9,
                r.after() + 1));
    serve(
        Addresses.OPLOG_HEALTH,
        HealthRequest.class,
        r -> new HealthReply("oplog", true, "leader", null));
    serve(
        Addresses.OPLOG_LEADER_LOCAL,
        HealthRequest.class,
        r -> new HealthReply("oplog", true, "standby", null));
    OplogClient oplog = new OplogClient(vertx.eventBus());

    OplogEntry entry = new OplogEntry(Operation.Upsert, "users", "a", new JsonObject(), 2);
    AppendBatch.StreamBatch batch = AppendBatch.streamAfter("users", null, token, List.of(entry));
    AppendResult ack = await(oplog.append(batch));
    assertSame(batch, seen.get(Addresses.OPLOG_APPEND));
    assertEquals(1, ack.appended());
    assertEquals(token, ack.resumeToken());
    AppendBatch.ScanBatch scan =
        AppendBatch.scan("users", 4, new JsonObject().put("v", 1), List.of(entry));
    assertEquals(7, await(oplog.append(scan, 5_000)).lastId());
    assertSame(scan, seen.get(Addresses.OPLOG_APPEND));

    assertEquals(token, await(oplog.resumeToken()).tokens().getJsonObject("users"));
    assertEquals(
        EntityStatus.scanning, await(oplog.scanBegin("users", "new entity")).entity().status());
    assertEquals(new ScanBeginRequest("users", "new entity"), seen.get(Addresses.OPLOG_SCAN_BEGIN));
    assertEquals(
        new ScanStateReply("users", new JsonObject().put("v", 5), 4),
        await(oplog.scanState("users", 4)));
    assertEquals(new ScanStateRequest("users", 4), seen.get(Addresses.OPLOG_SCAN_STATE));
    assertEquals(4, await(oplog.scanEnd("users", 4)).moved());
    assertEquals(4, await(oplog.scanEnd("users", 5, 5_000)).moved());
    assertEquals(new ScanEndRequest("users", 5), seen.get(Addresses.OPLOG_SCAN_END));
    assertEquals(11, await(oplog.read(10, 100, List.of("users"))).nextAfter());
    assertEquals(new OplogReadRequest(10, 100, List.of("users")), seen.get(Addresses.OPLOG_READ));
    assertEquals(21, await(oplog.read(new OplogReadRequest(20, 5, null))).nextAfter());
    assertEquals("leader", await(oplog.health()).state());
    assertEquals("leader", await(oplog.health(5_000)).state());
    assertEquals("standby", await(oplog.leaderLocal(5_000)).state());
  }

  @Test
  void entitiesClientReachesEveryEntityAddress() throws Exception {
    serve(
        Addresses.ENTITIES_LIST,
        EntityListRequest.class,
        r -> new EntityListReply(r.includeDeleted() ? List.of(ENTITY, ENTITY) : List.of(ENTITY)));
    serve(Addresses.ENTITIES_REFRESH, EntityListRequest.class, r -> new EntityListReply(List.of()));
    serve(
        Addresses.ENTITIES_GET,
        EntityNameRequest.class,
        r -> {
          if (!r.name().equals("users")) {
            throw BusException.notFound("unknown entity: " + r.name());
          }
          return new EntityReply(ENTITY);
        });
    serve(
        Addresses.ENTITIES_CREATE,
        EntityUpsertRequest.class,
        r -> new EntityReply(ENTITY.withStatus(EntityStatus.pending)));
    serve(Addresses.ENTITIES_UPDATE, EntityUpsertRequest.class, r -> new EntityReply(ENTITY));
    serve(
        Addresses.ENTITIES_DELETE,
        EntityNameRequest.class,
        r -> new EntityReply(ENTITY.withStatus(EntityStatus.deleted)));
    serve(
        Addresses.ENTITIES_SET_STATUS,
        EntityStatusRequest.class,
        r -> new EntityReply(ENTITY.withStatus(r.status())));
    EntitiesClient entities = new EntitiesClient(vertx.eventBus());

    assertEquals(1, await(entities.list(false)).entities().size());
    assertEquals(2, await(entities.list(true)).entities().size());
    assertEquals(0, await(entities.refresh(true)).entities().size());
    assertEquals(new EntityListRequest(true), seen.get(Addresses.ENTITIES_REFRESH));
    assertEquals(ENTITY, await(entities.get("users")).entity());
    JsonObject def = new JsonObject().put("name", "users");
    assertEquals(EntityStatus.pending, await(entities.create(def)).entity().status());
    assertEquals(new EntityUpsertRequest(def), seen.get(Addresses.ENTITIES_CREATE));
    assertEquals(ENTITY, await(entities.update(def)).entity());
    assertEquals(new EntityUpsertRequest(def), seen.get(Addresses.ENTITIES_UPDATE));
    assertEquals(EntityStatus.deleted, await(entities.delete("users")).entity().status());
    assertEquals(new EntityNameRequest("users"), seen.get(Addresses.ENTITIES_DELETE));
    assertEquals(
        EntityStatus.failed,
        await(entities.setStatus("users", EntityStatus.failed, "scan refused")).entity().status());
    assertEquals(
        new EntityStatusRequest("users", EntityStatus.failed, "scan refused"),
        seen.get(Addresses.ENTITIES_SET_STATUS));

    // failures keep their code by default...
    ReplyException re = assertInstanceOf(ReplyException.class, failure(entities.get("ghost")));
    assertEquals(ErrorCodes.NOT_FOUND, re.failureCode());
    assertEquals("unknown entity: ghost", re.getMessage());
    // ...and a mapping sees the failure and its address
    EntitiesClient mapped =
        new EntitiesClient(
            new BusCaller(vertx.eventBus())
                .mapFailures(
                    (t, address) ->
                        new IllegalStateException(
                            address + " -> " + Bus.codeOf(t) + " " + t.getMessage())));
    Throwable t = failure(mapped.get("ghost"));
    assertInstanceOf(IllegalStateException.class, t);
    assertEquals(Addresses.ENTITIES_GET + " -> 404 unknown entity: ghost", t.getMessage());
    assertEquals(ENTITY, await(mapped.get("users")).entity(), "a success is not mapped");
  }

  @Test
  void replicatorCacheAndHealthClientsReachTheirAddresses() throws Exception {
    serve(
        Addresses.REPLICATOR_STATS,
        HealthRequest.class,
        r -> new HealthReply("replicator", true, "caught_up", null));
    serve(
        Addresses.REPLICATOR_RECREATE,
        CacheEntityRequest.class,
        r -> new JobAccepted("job-1", r.entity()));
    serve(
        Addresses.CACHE_APPLY,
        CacheApplyRequest.class,
        r ->
            new CacheApplyReply(
                r.entity().name(), r.rows().get(r.rows().size() - 1).id(), r.rows().size(), 0));
    serve(
        Addresses.CACHE_INFO,
        CacheEntityRequest.class,
        r -> new CacheInfoReply(new JsonObject().put("entity", r.entity())));
    serve(
        Addresses.CACHE_DROP,
        CacheEntityRequest.class,
        r -> new CacheInfoReply(new JsonObject().put("dropped", r.entity())));
    serve(
        Addresses.CACHE_REBUILD,
        CacheEntityRequest.class,
        r -> new JobAccepted("job-2", r.entity()));
    serve(
        Addresses.CACHE_HEALTH,
        HealthRequest.class,
        r -> new HealthReply("cache", true, "running", null));
    serve(
        Addresses.LISTENER_HEALTH,
        HealthRequest.class,
        r -> new HealthReply("listener", true, "streaming", null));
    serve(
        Addresses.cacheQueryFor("users"),
        Object.class,
        r -> {
          if (r instanceof CacheDocRequest d) {
            return new CacheRowsReply(List.of(new JsonObject().put("id", d.docId())), null, false);
          }
          if (r instanceof CachePageRequest p) {
            return new CacheRowsReply(List.of(), p.after(), false);
          }
          CacheQueryRequest q = (CacheQueryRequest) r;
          return new CacheRowsReply(List.of(new JsonObject().put("sql", q.sql())), null, true);
        });

    ReplicatorClient replicator = new ReplicatorClient(vertx.eventBus());
    assertEquals("caught_up", await(replicator.stats()).state());
    assertEquals("caught_up", await(replicator.stats(5_000)).state());
    assertEquals(new JobAccepted("job-1", "users"), await(replicator.recreate("users")));

    CacheClient cache = new CacheClient(vertx.eventBus());
    List<Oplog> rows =
        List.of(
            new Oplog(5, Operation.Delete, "a", T, "users", null),
            new Oplog(6, Operation.Delete, "b", T, "users", null));
    assertEquals(new CacheApplyReply("users", 6, 2, 0), await(cache.apply(ENTITY, rows)));
    assertEquals(new CacheApplyRequest(ENTITY, rows), seen.get(Addresses.CACHE_APPLY));
    await(
        cache.apply(
            ENTITY,
            rows,
            new DeliveryOptions().setSendTimeout(5_000).addHeader("x-caught-up", "true")));
    assertEquals(
        "true",
        headers.get(Addresses.CACHE_APPLY + "/x-caught-up"),
        "the caller's delivery options reach the bus");
    assertEquals(new JsonObject().putNull("entity"), await(cache.info(null)).info());
    assertEquals(new JsonObject().put("dropped", "users"), await(cache.drop("users")).info());
    assertEquals(new JobAccepted("job-2", "users"), await(cache.rebuild("users")));
    assertEquals("running", await(cache.health()).state());
    assertEquals("running", await(cache.health(5_000)).state());
    assertEquals(
        List.of(new JsonObject().put("id", "ü-1")), await(cache.doc("users", "ü-1", 5_000)).rows());
    assertEquals("k", await(cache.page("users", "k", 10, 5_000)).next());
    assertEquals(
        new CachePageRequest("users", "k", 10), seen.get(Addresses.cacheQueryFor("users")));
    CacheQueryRequest q = new CacheQueryRequest("users", "SELECT 1", new JsonArray(), 10, 1_000);
    assertTrue(await(cache.query(q, 5_000)).truncated());
    assertSame(q, seen.get(Addresses.cacheQueryFor("users")));

    HealthClient health = new HealthClient(vertx.eventBus());
    assertEquals("streaming", await(health.listener(5_000)).state());
    assertEquals("running", await(health.check(Addresses.CACHE_HEALTH, 5_000)).state());
  }

  @Test
  void timeoutsReachTheBus() throws Exception {
    // consumers that never answer: only the send timeout ends the request
    vertx
        .eventBus()
        .consumer(Addresses.OPLOG_RESUME_TOKEN, m -> {})
        .completion()
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    vertx
        .eventBus()
        .consumer(Addresses.OPLOG_APPEND, m -> {})
        .completion()
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    BusCaller caller = new BusCaller(vertx.eventBus(), 200);
    assertEquals(200, caller.timeoutMs());
    assertEquals(5_000, caller.withTimeout(5_000).timeoutMs());
    assertThrows(IllegalArgumentException.class, () -> caller.withTimeout(0));

    long start = System.nanoTime();
    ReplyException re =
        assertInstanceOf(ReplyException.class, failure(new OplogClient(caller).resumeToken()));
    assertEquals(ReplyFailure.TIMEOUT, re.failureType());
    ReplyException perCall =
        assertInstanceOf(
            ReplyException.class,
            failure(
                new OplogClient(vertx.eventBus())
                    .append(AppendBatch.stream("s", null, List.of()), 150)));
    assertEquals(ReplyFailure.TIMEOUT, perCall.failureType());
    assertTrue(
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 5_000,
        "the short timeouts applied, not the 30 s default");
    assertEquals(
        ErrorCodes.UNAVAILABLE, Bus.codeOf(new ReplyException(ReplyFailure.NO_HANDLERS, "x")));

    // no consumer at all: NO_HANDLERS, untouched by the raw caller even after a mapping was set
    BusCaller raw = caller.mapFailures((t, a) -> new IllegalStateException(a)).raw();
    ReplyException none =
        assertInstanceOf(
            ReplyException.class, failure(new ReplicatorClient(raw).recreate("users")));
    assertEquals(ReplyFailure.NO_HANDLERS, none.failureType());
  }
}
