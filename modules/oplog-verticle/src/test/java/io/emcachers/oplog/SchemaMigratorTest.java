package io.emcachers.oplog;

import static io.emcachers.oplog.OplogTestSupport.exec;
import static io.emcachers.oplog.OplogTestSupport.query;
import static io.emcachers.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.emcachers.testsupport.TestVertx;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class SchemaMigratorTest extends PostgresTestBase {

  Vertx vertx;

  @BeforeEach
  void setUp() {
    exec(pg, "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
    vertx = TestVertx.create();
  }

  @AfterEach
  void tearDown() {
    await(vertx.close());
  }

  @Test
  void migrationsCreateTheSchemaAndRerunningIsANoOp() {
    SchemaMigrator migrator =
        new SchemaMigrator(vertx, OplogConfig.fromJson(OplogTestSupport.rootConfig(pg)));
    assertEquals(7, await(migrator.migrate()), "V1 to V7 applied on an empty database");
    assertEquals(
        2L,
        OplogTestSupport.count(
            pg,
            "pg_class WHERE relname IN ('oplog', 'oplog_staging')"
                + " AND 'vacuum_truncate=false' = ANY(reloptions)"),
        "V7: VACUUM never truncates the oplog or staging");

    Set<String> tables =
        query(pg, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
            .stream()
            .map(r -> (String) r.get("table_name"))
            .collect(Collectors.toSet());
    assertEquals(
        Set.of(
            "entities",
            "oplog",
            "oplog_staging",
            "metadata",
            "replicas",
            "leader_lease",
            "flyway_schema_history"),
        tables);

    assertEquals(
        Map.of(
            "name",
            "text",
            "shape",
            "jsonb",
            "status",
            "text",
            "version",
            "bigint",
            "created_at",
            "timestamp with time zone",
            "updated_at",
            "timestamp with time zone",
            "epoch",
            "bigint"),
        columns("entities"));
    assertEquals(
        Map.of(
            "id",
            "bigint",
            "op",
            "text",
            "entity",
            "text",
            "doc_id",
            "text",
            "created_at",
            "timestamp with time zone",
            "data",
            "jsonb",
            "synthetic",
            "boolean",
            "cluster_time",
            "bigint"),
        columns("oplog"));
    assertEquals(
        Map.of(
            "seq",
            "bigint",
            "entity",
            "text",
            "op",
            "text",
            "doc_id",
            "text",
            "created_at",
            "timestamp with time zone",
            "data",
            "jsonb",
            "epoch",
            "bigint",
            "cluster_time",
            "bigint"),
        columns("oplog_staging"));
    assertEquals(Map.of("key", "text", "value", "jsonb"), columns("metadata"));

    List<String> indexes =
        query(pg, "SELECT indexdef FROM pg_indexes WHERE tablename = 'oplog' ORDER BY indexname")
            .stream()
            .map(r -> (String) r.get("indexdef"))
            .toList();
    assertEquals(2, indexes.size(), indexes.toString());
    assertEquals(
        true, indexes.stream().anyMatch(d -> d.contains("(entity, id)")), indexes.toString());
    assertEquals(
        true,
        indexes.stream().anyMatch(d -> d.contains("oplog_pkey") && d.contains("(id)")),
        indexes.toString());
    assertEquals(
        "YES",
        query(
                pg,
                "SELECT is_identity FROM information_schema.columns WHERE table_name = 'oplog' AND column_name = 'id'")
            .get(0)
            .get("is_identity"));

    exec(
        pg, "INSERT INTO entities (name, shape, status, version) VALUES ('kept', '{}', 'live', 1)");
    assertEquals(0, await(migrator.migrate()), "re-running applies nothing");
    assertEquals(
        0,
        await(
            new SchemaMigrator(vertx, OplogConfig.fromJson(OplogTestSupport.rootConfig(pg)))
                .migrate()));
    assertEquals(1L, OplogTestSupport.count(pg, "entities"), "data survives a re-run");
    assertEquals(7L, OplogTestSupport.count(pg, "flyway_schema_history WHERE success"));
  }

  @Test
  void upgradingToTheInjectiveDocIdRuleReScansEveryEntity() {
    org.flywaydb.core.Flyway.configure()
        .dataSource(pg.jdbcUrl(), "postgres", null)
        .locations("classpath:db/migration")
        .target("1")
        .load()
        .migrate();
    exec(
        pg,
        "INSERT INTO entities (name, shape, status, version) VALUES ('a', '{}', 'live', 3), ('b', '{}', 'deleted', 4), ('c', '{}', 'scanning', 2)");
    exec(
        pg,
        "INSERT INTO metadata (key, value) VALUES ('scan_progress:c', '{}'), ('scan_start:c', '{}'), ('mongo_resume_token', '{}')");
    SchemaMigrator migrator =
        new SchemaMigrator(vertx, OplogConfig.fromJson(OplogTestSupport.rootConfig(pg)));
    assertEquals(6, await(migrator.migrate()), "V2 to V7 applied on a V1 database");
    assertEquals(
        List.of("a:pending:4:2", "b:deleted:4:1", "c:pending:3:2"),
        query(
                pg,
                "SELECT name || ':' || status || ':' || version || ':' || epoch AS r FROM entities ORDER BY name")
            .stream()
            .map(r -> r.get("r"))
            .toList(),
        "live and scanning entities are re-scanned (new version and epoch) so their rows get the new doc ids");
    assertEquals(
        1L,
        OplogTestSupport.count(pg, "metadata"),
        "old scan progress is forgotten; resume tokens stay");
  }

  @Test
  void upgradingToSyntheticRowsKeepsExistingRowsAsNonSynthetic() {
    org.flywaydb.core.Flyway.configure()
        .dataSource(pg.jdbcUrl(), "postgres", null)
        .locations("classpath:db/migration")
        .target("2")
        .load()
        .migrate();
    exec(
        pg,
        "INSERT INTO oplog (op, entity, doc_id, data) VALUES ('Upsert', 'a', 'd1', '{\"x\": 1}'), ('Delete', 'a', 'd2', NULL)");
    SchemaMigrator migrator =
        new SchemaMigrator(vertx, OplogConfig.fromJson(OplogTestSupport.rootConfig(pg)));
    assertEquals(5, await(migrator.migrate()), "V3 to V7 applied on a V2 database");
    assertEquals(
        List.of("1:d1:false", "2:d2:false"),
        query(pg, "SELECT id || ':' || doc_id || ':' || synthetic AS r FROM oplog ORDER BY id")
            .stream()
            .map(r -> r.get("r"))
            .toList(),
        "rows written before V3 are not synthetic");
    exec(pg, "INSERT INTO oplog (op, entity, doc_id) VALUES ('Delete', 'a', 'd3')");
    assertEquals(
        0L,
        OplogTestSupport.count(pg, "oplog WHERE synthetic"),
        "a row inserted without the column defaults to false");
  }

  private static Map<String, String> columns(String table) {
    return query(
            pg,
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '"
                + table
                + "'")
        .stream()
        .collect(
            Collectors.toMap(r -> (String) r.get("column_name"), r -> (String) r.get("data_type")));
  }

  @Test
  void upgradingToReplicasAndCompactionKeepsTheOplog() {
    org.flywaydb.core.Flyway.configure()
        .dataSource(pg.jdbcUrl(), "postgres", null)
        .locations("classpath:db/migration")
        .target("3")
        .load()
        .migrate();
    exec(pg, "INSERT INTO oplog (op, entity, doc_id, data) VALUES ('Upsert', 'a', 'd1', '{}')");
    SchemaMigrator migrator =
        new SchemaMigrator(vertx, OplogConfig.fromJson(OplogTestSupport.rootConfig(pg)));
    assertEquals(4, await(migrator.migrate()), "V4 to V7 applied on a V3 database");
    assertEquals(1L, OplogTestSupport.count(pg, "oplog"));
    assertEquals(0L, OplogTestSupport.count(pg, "replicas"));
    assertEquals(
        List.of("applied_offset", "last_seen", "node_id", "rebuild_required", "registered_at"),
        query(
                pg,
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'replicas'"
                    + " ORDER BY column_name")
            .stream()
            .map(r -> r.get("column_name"))
            .toList());
  }

  @Test
  void upgradingToClusterTimesKeepsRowsWithoutOne() {
    org.flywaydb.core.Flyway.configure()
        .dataSource(pg.jdbcUrl(), "postgres", null)
        .locations("classpath:db/migration")
        .target("5")
        .load()
        .migrate();
    exec(pg, "INSERT INTO oplog (op, entity, doc_id, data) VALUES ('Upsert', 'a', 'd1', '{}')");
    SchemaMigrator migrator =
        new SchemaMigrator(vertx, OplogConfig.fromJson(OplogTestSupport.rootConfig(pg)));
    assertEquals(2, await(migrator.migrate()), "V6 and V7 applied on a V5 database");
    assertEquals("bigint", columns("oplog").get("cluster_time"));
    assertEquals("bigint", columns("oplog_staging").get("cluster_time"));
    assertEquals(1L, OplogTestSupport.count(pg, "oplog WHERE cluster_time IS NULL"));
  }
}
