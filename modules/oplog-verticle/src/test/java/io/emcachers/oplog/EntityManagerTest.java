package io.emcachers.oplog;

import static io.emcachers.oplog.OplogTestSupport.append;
import static io.emcachers.oplog.OplogTestSupport.assertFailure;
import static io.emcachers.oplog.OplogTestSupport.count;
import static io.emcachers.oplog.OplogTestSupport.createEntity;
import static io.emcachers.oplog.OplogTestSupport.definition;
import static io.emcachers.oplog.OplogTestSupport.exec;
import static io.emcachers.oplog.OplogTestSupport.request;
import static io.emcachers.oplog.OplogTestSupport.requestFailure;
import static io.emcachers.oplog.OplogTestSupport.upsert;
import static io.emcachers.testsupport.Await.await;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.bus.Addresses;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.EntityChanged;
import io.emcachers.core.messages.EntityListReply;
import io.emcachers.core.messages.EntityListRequest;
import io.emcachers.core.messages.EntityNameRequest;
import io.emcachers.core.messages.EntityReply;
import io.emcachers.core.messages.EntityStatusRequest;
import io.emcachers.core.messages.EntityUpsertRequest;
import io.emcachers.core.messages.HealthRequest;
import io.emcachers.core.messages.ScanStateReply;
import io.emcachers.core.messages.ScanStateRequest;
import io.emcachers.core.messages.StatusEvent;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.testsupport.TestVertx;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class EntityManagerTest extends PostgresTestBase {

  Vertx vertx;
  final List<EntityChanged> changes = new CopyOnWriteArrayList<>();
  final List<StatusEvent> statusEvents = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() {
    OplogTestSupport.resetTables(pg);
    vertx = TestVertx.create();
    vertx
        .eventBus()
        .<EntityChanged>consumer(Addresses.ENTITIES_CHANGED, m -> changes.add(m.body()));
    vertx.eventBus().<StatusEvent>consumer(Addresses.STATUS, m -> statusEvents.add(m.body()));
  }

  @AfterEach
  void tearDown() {
    await(vertx.close());
  }

  private void deploy() {
    OplogTestSupport.deploy(vertx, OplogTestSupport.rootConfig(pg));
  }

  private EntityChanged awaitChange(EntityChanged.Change change, String entity) {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                changes.stream()
                    .anyMatch(c -> c.change().equals(change) && c.entity().name().equals(entity)));
    return changes.stream()
        .filter(c -> c.change().equals(change) && c.entity().name().equals(entity))
        .reduce((a, b) -> b)
        .orElseThrow();
  }

  private void awaitEntityStatusEvent(String entity, String state) {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                statusEvents.stream()
                    .anyMatch(
                        s ->
                            StatusEvent.TYPE_ENTITY.equals(s.type())
                                && entity.equals(s.entity())
                                && state.equals(s.state())));
  }

  @Test
  void createGetListAndConflict() {
    deploy();
    EntityReply created =
        request(
            vertx,
            Addresses.ENTITIES_CREATE,
            new EntityUpsertRequest(definition("users", "users", "name", "email")),
            EntityReply.class);
    Entity e = created.entity();
    assertEquals("users", e.name());
    assertEquals(EntityStatus.pending, e.status());
    assertEquals(1, e.version());
    assertEquals(2, e.shape().columns().size());
    assertEquals("users", e.shape().sourceName());
    EntityChanged change = awaitChange(EntityChanged.CREATED, "users");
    assertEquals(1, change.entity().version());
    assertNull(change.previous());
    awaitEntityStatusEvent("users", "pending");

    assertEquals(
        e,
        request(vertx, Addresses.ENTITIES_GET, new EntityNameRequest("users"), EntityReply.class)
            .entity());

    ReplyException conflict =
        requestFailure(
            vertx,
            Addresses.ENTITIES_CREATE,
            new EntityUpsertRequest(definition("users", "other", "x")));
    assertFailure(conflict, ErrorCodes.CONFLICT, "entity users already exists");

    createEntity(vertx, "accounts");
    createEntity(vertx, "zebras");
    List<String> names =
        request(vertx, Addresses.ENTITIES_LIST, new EntityListRequest(false), EntityListReply.class)
            .entities()
            .stream()
            .map(Entity::name)
            .toList();
    assertEquals(List.of("accounts", "users", "zebras"), names);

    assertFailure(
        requestFailure(vertx, Addresses.ENTITIES_GET, new EntityNameRequest("nobody")),
        ErrorCodes.NOT_FOUND,
        "entity nobody not found");
  }

  @Test
  void invalidDefinitionsFailWithFieldErrors() {
    deploy();
    JsonObject bad =
        new JsonObject()
            .put("name", "Bad-Name")
            .put(
                "shape",
                new JsonObject()
                    .put("entity_name", "x")
                    .put("source_name", "system.users")
                    .put(
                        "columns",
                        new JsonArray()
                            .add(
                                new JsonObject()
                                    .put("name", "_id")
                                    .put("type", "Nope")
                                    .put("path", "a..b"))));
    ReplyException e =
        requestFailure(vertx, Addresses.ENTITIES_CREATE, new EntityUpsertRequest(bad));
    assertEquals(ErrorCodes.VALIDATION, e.failureCode());
    JsonObject body = new JsonObject(e.getMessage());
    List<String> fields =
        body.getJsonArray("errors").stream().map(o -> ((JsonObject) o).getString("field")).toList();
    assertTrue(
        fields.containsAll(
            List.of(
                "name",
                "shape.source_name",
                "shape.columns[0].name",
                "shape.columns[0].type",
                "shape.columns[0].path")),
        fields.toString());

    ReplyException missing =
        requestFailure(vertx, Addresses.ENTITIES_CREATE, new EntityUpsertRequest(null));
    assertEquals(ErrorCodes.VALIDATION, missing.failureCode());

    assertEquals(
        ErrorCodes.VALIDATION,
        requestFailure(vertx, Addresses.ENTITIES_GET, new EntityNameRequest("../etc"))
            .failureCode());
    assertFailure(
        requestFailure(vertx, Addresses.ENTITIES_CREATE, new HealthRequest()),
        ErrorCodes.BAD_REQUEST,
        "expected EntityUpsertRequest");
    assertFailure(
        requestFailure(
            vertx,
            Addresses.ENTITIES_SET_STATUS,
            new EntityStatusRequest("users", EntityStatus.deleted, null)),
        ErrorCodes.BAD_REQUEST,
        "use emc.entities.delete");
    assertEquals(0, count(pg, "entities"), "nothing stored");
    assertTrue(changes.isEmpty(), "nothing published: " + changes);
  }

  @Test
  void updateChangesShapeOnlyWhenItDiffers() {
    deploy();
    createEntity(vertx, "items");
    request(
        vertx,
        Addresses.ENTITIES_SET_STATUS,
        new EntityStatusRequest("items", EntityStatus.live, "scan done"),
        EntityReply.class);
    awaitChange(EntityChanged.STATUS_CHANGED, "items");
    int before = changes.size();

    Entity same =
        request(
                vertx,
                Addresses.ENTITIES_UPDATE,
                new EntityUpsertRequest(definition("items", "items_src", "title")),
                EntityReply.class)
            .entity();
    assertEquals(2, same.version(), "same shape: no-op");
    assertEquals(EntityStatus.live, same.status());

    Entity changed =
        request(
                vertx,
                Addresses.ENTITIES_UPDATE,
                new EntityUpsertRequest(definition("items", "items_src", "title", "price")),
                EntityReply.class)
            .entity();
    assertEquals(3, changed.version());
    assertEquals(EntityStatus.pending, changed.status(), "a new shape is re-scanned");
    EntityChanged change = awaitChange(EntityChanged.SHAPE_CHANGED, "items");
    assertEquals(2, change.previous().version());
    assertEquals(1, change.previous().shape().columns().size());
    assertEquals(2, change.entity().shape().columns().size());
    assertEquals(before + 1, changes.size(), "only the real change was published: " + changes);

    assertFailure(
        requestFailure(
            vertx,
            Addresses.ENTITIES_UPDATE,
            new EntityUpsertRequest(definition("ghost", "g", "a"))),
        ErrorCodes.NOT_FOUND,
        "entity ghost not found");
  }

  @Test
  void setStatusTransitionsArePublished() {
    deploy();
    createEntity(vertx, "orders");
    Entity scanning =
        request(
                vertx,
                Addresses.ENTITIES_SET_STATUS,
                new EntityStatusRequest("orders", EntityStatus.scanning, "scan started"),
                EntityReply.class)
            .entity();
    assertEquals(EntityStatus.scanning, scanning.status());
    assertEquals(2, scanning.version());
    EntityChanged c = awaitChange(EntityChanged.STATUS_CHANGED, "orders");
    assertEquals(EntityStatus.pending, c.previous().status());
    awaitEntityStatusEvent("orders", "scanning");
    assertTrue(
        statusEvents.stream()
            .anyMatch(
                s ->
                    "orders".equals(s.entity())
                        && "scan started".equals(s.data().getString("reason"))));

    Entity again =
        request(
                vertx,
                Addresses.ENTITIES_SET_STATUS,
                new EntityStatusRequest("orders", EntityStatus.scanning, null),
                EntityReply.class)
            .entity();
    assertEquals(2, again.version(), "same status: no-op");

    Entity failed =
        request(
                vertx,
                Addresses.ENTITIES_SET_STATUS,
                new EntityStatusRequest("orders", EntityStatus.failed, "boom"),
                EntityReply.class)
            .entity();
    assertEquals(EntityStatus.failed, failed.status());
    assertEquals(3, failed.version());
    assertFailure(
        requestFailure(
            vertx,
            Addresses.ENTITIES_SET_STATUS,
            new EntityStatusRequest("ghost", EntityStatus.live, null)),
        ErrorCodes.NOT_FOUND,
        "entity ghost not found");
  }

  @Test
  void deletePurgesRowsAndANameCanBeRecreated() {
    deploy();
    OplogTestSupport.createLiveEntity(vertx, "gone");
    OplogTestSupport.createLiveEntity(vertx, "kept");
    createEntity(vertx, "pend");
    append(
        vertx,
        AppendBatch.stream(
            "s",
            new JsonObject().put("t", 1),
            List.of(
                upsert("gone", "1", new JsonObject().put("title", "a")),
                upsert("kept", "1", new JsonObject().put("title", "b")),
                upsert("gone", "2", new JsonObject().put("title", "c")))));
    append(
        vertx,
        AppendBatch.scan(
            "gone", new JsonObject().put("v", 5), List.of(upsert("gone", "5", new JsonObject()))));
    exec(
        pg,
        "INSERT INTO oplog_staging (entity, op, doc_id, data) VALUES ('gone', 'Upsert', '9', '{}')");
    assertEquals(3, count(pg, "oplog WHERE entity = 'gone'"));

    Entity deleted =
        request(vertx, Addresses.ENTITIES_DELETE, new EntityNameRequest("gone"), EntityReply.class)
            .entity();
    assertEquals(EntityStatus.deleted, deleted.status());
    assertEquals(3, deleted.version());
    EntityChanged c = awaitChange(EntityChanged.DELETED, "gone");
    assertEquals(EntityStatus.live, c.previous().status());
    awaitEntityStatusEvent("gone", "deleted");

    assertEquals(0, count(pg, "oplog WHERE entity = 'gone'"), "oplog rows purged");
    assertEquals(0, count(pg, "oplog_staging WHERE entity = 'gone'"), "staged rows purged");
    assertNull(OplogTestSupport.metadata(pg, "scan_progress:gone"), "scan progress purged");
    assertEquals(1, count(pg, "oplog WHERE entity = 'kept'"), "other entities untouched");
    ScanStateReply state =
        request(
            vertx, Addresses.OPLOG_SCAN_STATE, new ScanStateRequest("gone"), ScanStateReply.class);
    assertNull(state.lastId());

    assertFailure(
        requestFailure(vertx, Addresses.ENTITIES_GET, new EntityNameRequest("gone")),
        ErrorCodes.NOT_FOUND,
        "not found");
    assertFailure(
        requestFailure(vertx, Addresses.ENTITIES_DELETE, new EntityNameRequest("gone")),
        ErrorCodes.NOT_FOUND,
        "not found");
    assertFailure(
        requestFailure(vertx, Addresses.ENTITIES_DELETE, new EntityNameRequest("never")),
        ErrorCodes.NOT_FOUND,
        "not found");

    List<String> visible =
        request(vertx, Addresses.ENTITIES_LIST, new EntityListRequest(false), EntityListReply.class)
            .entities()
            .stream()
            .map(Entity::name)
            .toList();
    assertEquals(List.of("kept", "pend"), visible);
    List<String> all =
        request(vertx, Addresses.ENTITIES_LIST, new EntityListRequest(true), EntityListReply.class)
            .entities()
            .stream()
            .map(Entity::name)
            .toList();
    assertEquals(List.of("gone", "kept", "pend"), all);

    // entries of a deleted entity are dropped
    var r =
        append(
            vertx, AppendBatch.stream("s", null, List.of(upsert("gone", "3", new JsonObject()))));
    assertEquals(0, r.appended());
    assertEquals(0, r.staged());

    Entity again = createEntity(vertx, "gone");
    assertEquals(EntityStatus.pending, again.status());
    assertEquals(4, again.version(), "the version continues across a re-create");
    assertEquals(
        EntityStatus.deleted, awaitChange(EntityChanged.CREATED, "gone").previous().status());
  }

  @Test
  void refreshRepublishesEntitiesWhoseVersionChangedBehindOurBack() {
    deploy();
    createEntity(vertx, "alpha");
    createEntity(vertx, "beta");
    awaitChange(EntityChanged.CREATED, "beta");
    // a change this node never published (e.g. made by a previous leader)
    exec(pg, "UPDATE entities SET status = 'live', version = version + 1 WHERE name = 'beta'");

    EntityListReply reply =
        request(
            vertx, Addresses.ENTITIES_REFRESH, new EntityListRequest(false), EntityListReply.class);
    assertEquals(List.of("alpha", "beta"), reply.entities().stream().map(Entity::name).toList());
    EntityChanged refreshed = awaitChange(EntityChanged.REFRESHED, "beta");
    assertEquals(EntityStatus.live, refreshed.entity().status());
    assertEquals(2, refreshed.entity().version());
    assertTrue(
        changes.stream()
            .noneMatch(
                c ->
                    c.change().equals(EntityChanged.REFRESHED)
                        && c.entity().name().equals("alpha")),
        "alpha's version was already published");
  }

  @Test
  void periodicRefreshJobConverges() {
    JsonObject root = OplogTestSupport.rootConfig(pg);
    root.getJsonObject("oplog").put("entity_refresh_interval_ms", 150);
    OplogTestSupport.deploy(vertx, root);
    createEntity(vertx, "gamma");
    awaitChange(EntityChanged.CREATED, "gamma");
    exec(pg, "UPDATE entities SET status = 'failed', version = 7 WHERE name = 'gamma'");
    EntityChanged refreshed = awaitChange(EntityChanged.REFRESHED, "gamma");
    assertEquals(7, refreshed.entity().version());
    assertEquals(EntityStatus.failed, refreshed.entity().status());
    var health =
        request(
            vertx,
            Addresses.OPLOG_HEALTH,
            new HealthRequest(),
            io.emcachers.core.messages.HealthReply.class);
    JsonObject job =
        health.details().getJsonArray("jobs").stream()
            .map(JsonObject.class::cast)
            .filter(j -> OplogVerticle.REFRESH_JOB.equals(j.getString("name")))
            .findFirst()
            .orElseThrow();
    assertTrue(job.getLong("run_count") >= 1, job.encode());
  }
}
