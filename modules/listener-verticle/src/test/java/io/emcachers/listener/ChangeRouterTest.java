package io.emcachers.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.model.Column;
import io.emcachers.core.model.DataType;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.model.Operation;
import io.emcachers.core.model.Shape;
import io.emcachers.listener.stream.ChangeEvent;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import org.bson.BsonDocument;
import org.junit.jupiter.api.Test;

/** The router with real entities and projections: no bus, no Vert.x. */
class ChangeRouterTest {

  static Entity entity(String name, String source, long epoch, Column... columns) {
    return new Entity(
        name,
        new Shape(name, source, List.of(columns)),
        EntityStatus.live,
        1,
        Instant.EPOCH,
        Instant.EPOCH,
        epoch);
  }

  static ChangeEvent event(String json) {
    return ChangeEvent.parse(BsonDocument.parse(json), "users");
  }

  final EntityTable table = new EntityTable();
  final ChangeRouter router = new ChangeRouter(table);

  ChangeRouterTest() {
    table.put(entity("names", "users", 3, new Column("name", DataType.Text, "name")));
    table.put(
        entity(
            "ages",
            "users",
            0,
            new Column("age", DataType.Integer, "profile.age"),
            new Column("label", DataType.Text, "name")));
    table.put(entity("orders", "orders", 0, new Column("total", DataType.Number, "total")));
  }

  @Test
  void anInsertFansOutToEveryEntityOfItsCollectionProjectedAndStampedWithTheEpoch() {
    ChangeRouter.Routed r =
        router.route(
            event(
                """
        {"_id": {"_data": "01"}, "operationType": "insert", "ns": {"db": "app", "coll": "users"},
         "fullDocument": {"_id": "u1", "name": "Ann", "profile": {"age": 41}}, "documentKey": {"_id": "u1"}}"""));
    assertEquals(
        List.of(
            new OplogEntry(Operation.Upsert, "names", "u1", new JsonObject().put("name", "Ann"), 3),
            new OplogEntry(
                Operation.Upsert,
                "ages",
                "u1",
                new JsonObject().put("age", 41L).put("label", "Ann"),
                0)),
        r.entries());
    assertEquals(
        List.of(
            new ChangeRouter.Counted("names", "Upsert"),
            new ChangeRouter.Counted("ages", "Upsert")),
        r.counted());
    assertTrue(r.mismatches().isEmpty());
    assertNull(r.skipped());
    assertNull(r.ignored());
    assertNull(r.rescan());
  }

  @Test
  void aValueThatDoesNotFitItsColumnBecomesNullAndIsReported() {
    ChangeRouter.Routed r =
        router.route(
            event(
                """
        {"operationType": "update", "ns": {"coll": "users"}, "fullDocument": {"_id": 7, "name": "Bo", "profile": {"age": "old"}}}"""));
    OplogEntry ages = r.entries().get(1);
    assertEquals("~n:7", ages.docId());
    assertNull(ages.data().getValue("age"));
    assertEquals(1, r.mismatches().size());
    assertEquals("ages", r.mismatches().get(0).entity());
    assertEquals("~n:7", r.mismatches().get(0).docId());
    assertEquals("age", r.mismatches().get(0).mismatch().column());
  }

  @Test
  void aDeleteUsesTheDocumentKeyAndAnUpdateWithoutDocumentIsSkipped() {
    ChangeRouter.Routed del =
        router.route(
            event(
                """
        {"operationType": "delete", "ns": {"coll": "orders"}, "documentKey": {"_id": "o1"}}"""));
    assertEquals(List.of(new OplogEntry(Operation.Delete, "orders", "o1", null, 0)), del.entries());
    assertEquals(List.of(new ChangeRouter.Counted("orders", "Delete")), del.counted());

    ChangeRouter.Routed gone =
        router.route(
            event(
                """
        {"operationType": "update", "ns": {"coll": "orders"}, "documentKey": {"_id": "o1"}}"""));
    assertTrue(gone.entries().isEmpty());
    assertEquals("orders", gone.skippedCollection());
    assertEquals("no_full_document", gone.skipped());

    ChangeRouter.Routed other =
        router.route(
            event(
                """
        {"operationType": "createIndexes", "ns": {"coll": "orders"}}"""));
    assertTrue(other.entries().isEmpty());
    assertEquals("createIndexes", other.skipped());
  }

  @Test
  void anUnwatchedCollectionIsIgnored() {
    ChangeRouter.Routed r =
        router.route(
            event(
                """
        {"operationType": "insert", "ns": {"coll": "audit"}, "fullDocument": {"_id": 1}}"""));
    assertTrue(r.entries().isEmpty());
    assertEquals("audit", r.ignored());
    assertTrue(r.counted().isEmpty());
  }

  @Test
  void collectionLevelChangesReScanTheAffectedEntities() {
    ChangeRouter.Routed drop =
        router.route(
            event(
                """
        {"operationType": "drop", "ns": {"coll": "users"}}"""));
    assertEquals(List.of("names", "ages"), drop.rescan().entities());
    assertEquals("drop of collection users", drop.rescan().what());
    assertEquals("drop", drop.skipped());
    assertTrue(drop.entries().isEmpty());

    ChangeRouter.Routed rename =
        router.route(
            event(
                """
        {"operationType": "rename", "ns": {"coll": "tmp"}, "to": {"coll": "orders"}}"""));
    assertEquals(
        List.of("orders"), rename.rescan().entities(), "the rename's target is re-scanned too");
    assertEquals("rename of collection tmp to orders", rename.rescan().what());

    ChangeRouter.Routed dropDb =
        router.route(
            event(
                """
        {"operationType": "dropDatabase", "ns": {"db": "app"}}"""));
    assertEquals(List.of("names", "ages", "orders"), dropDb.rescan().entities());

    assertNull(
        router
            .route(
                event(
                    """
        {"operationType": "drop", "ns": {"coll": "audit"}}"""))
            .rescan(),
        "no entity on it: nothing to re-scan");
  }

  /** Two live entities over {@code users}: {@code open} and {@code closed}, split by status. */
  static EntityTable splitByStatus() {
    EntityTable split = new EntityTable();
    for (String status : List.of("open", "closed")) {
      split.put(
          new Entity(
              status,
              new Shape(
                  status,
                  "users",
                  List.of(new Column("name", DataType.Text, "name")),
                  List.of(),
                  new JsonObject().put("status", status)),
              EntityStatus.live,
              1,
              Instant.EPOCH,
              Instant.EPOCH,
              0));
    }
    return split;
  }

  @Test
  void anUpsertOutsideAnEntitysFilterIsADeleteForThatEntityOnly() {
    EntityTable split = splitByStatus();
    ChangeRouter.Routed r =
        new ChangeRouter(split)
            .route(
                event(
                    """
        {"_id": {"_data": "02"}, "operationType": "update", "ns": {"db": "app", "coll": "users"},
         "fullDocument": {"_id": "u1", "name": "Ann", "status": "closed"}, "documentKey": {"_id": "u1"}}"""));
    assertEquals(
        List.of(
            new OplogEntry(Operation.Delete, "open", "u1", null, 0),
            new OplogEntry(
                Operation.Upsert, "closed", "u1", new JsonObject().put("name", "Ann"), 0)),
        r.entries());
    assertEquals(
        List.of(
            new ChangeRouter.Counted("open", "Delete"),
            new ChangeRouter.Counted("closed", "Upsert")),
        r.counted());
  }

  @Test
  void aFilterDeleteCarriesTheEventsClusterTimeLikeTheUpsert() {
    EntityTable split = splitByStatus();
    ChangeRouter.Routed r =
        new ChangeRouter(split)
            .route(
                event(
                    """
        {"_id": {"_data": "02"}, "operationType": "update", "ns": {"db": "app", "coll": "users"},
         "clusterTime": {"$timestamp": {"t": 5, "i": 1}},
         "fullDocument": {"_id": "u1", "name": "Ann", "status": "closed"}, "documentKey": {"_id": "u1"}}"""));
    long time = (5L << 32) | 1;
    assertEquals(2, r.entries().size());
    r.entries().forEach(e -> assertEquals(time, e.clusterTime(), e.entity()));
  }
}
