package io.emcachers.oplog.entities;

import io.emcachers.core.model.Entity;
import io.emcachers.core.model.EntityStatus;
import io.emcachers.core.model.Shape;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * SQL of the {@code entities} table. Reads take any client (the read pool, or the writer connection
 * inside a transaction); writes run inside the caller's transaction on the writer.
 */
public final class EntityStore {

  private static final String COLUMNS =
      "name, shape::text AS shape, status, version, created_at, updated_at, epoch";

  private EntityStore() {}

  public static Future<Optional<Entity>> find(SqlClient client, String name) {
    return client
        .preparedQuery("SELECT " + COLUMNS + " FROM entities WHERE name = $1")
        .execute(Tuple.of(name))
        .map(rows -> first(rows));
  }

  /** All entities ordered by name; deleted ones only when {@code includeDeleted}. */
  public static Future<List<Entity>> list(SqlClient client, boolean includeDeleted) {
    String sql =
        "SELECT "
            + COLUMNS
            + " FROM entities"
            + (includeDeleted ? "" : " WHERE status <> 'deleted'")
            + " ORDER BY name";
    return client
        .query(sql)
        .execute()
        .map(
            rows -> {
              List<Entity> list = new ArrayList<>(rows.size());
              rows.forEach(r -> list.add(toEntity(r)));
              return list;
            });
  }

  /** A new entity: status pending, version 1. */
  public static Future<Entity> insert(SqlConnection conn, String name, Shape shape) {
    return conn.preparedQuery(
            "INSERT INTO entities (name, shape, status, version) VALUES ($1, $2::text::jsonb, 'pending', 1) RETURNING "
                + COLUMNS)
        .execute(Tuple.of(name, shape.toJson().encode()))
        .map(rows -> first(rows).orElseThrow());
  }

  /**
   * Re-creates a deleted entity: new shape, status pending, version and epoch continue (+1),
   * created now.
   */
  public static Future<Entity> revive(SqlConnection conn, String name, Shape shape) {
    return conn.preparedQuery(
            "UPDATE entities SET shape = $2::text::jsonb, status = 'pending', version = version + 1, epoch = epoch + 1,"
                + " created_at = clock_timestamp(), updated_at = now()"
                + " WHERE name = $1 AND status = 'deleted' RETURNING "
                + COLUMNS)
        .execute(Tuple.of(name, shape.toJson().encode()))
        .map(rows -> first(rows).orElseThrow());
  }

  /** New shape: version and epoch + 1 and back to pending (the listener re-scans it). */
  public static Future<Entity> updateShape(SqlConnection conn, String name, Shape shape) {
    return conn.preparedQuery(
            "UPDATE entities SET shape = $2::text::jsonb, status = 'pending', version = version + 1, epoch = epoch + 1, updated_at = now()"
                + " WHERE name = $1 RETURNING "
                + COLUMNS)
        .execute(Tuple.of(name, shape.toJson().encode()))
        .map(rows -> first(rows).orElseThrow());
  }

  /** New status: version + 1. */
  public static Future<Entity> setStatus(SqlConnection conn, String name, EntityStatus status) {
    return conn.preparedQuery(
            "UPDATE entities SET status = $2, version = version + 1, updated_at = now() WHERE name = $1 RETURNING "
                + COLUMNS)
        .execute(Tuple.of(name, status.name()))
        .map(rows -> first(rows).orElseThrow());
  }

  /** A new scan attempt: epoch + 1, status scanning (version + 1). */
  public static Future<Entity> beginScan(SqlConnection conn, String name) {
    return conn.preparedQuery(
            "UPDATE entities SET status = 'scanning', version = version + 1, epoch = epoch + 1, updated_at = now()"
                + " WHERE name = $1 AND status <> 'deleted' RETURNING "
                + COLUMNS)
        .execute(Tuple.of(name))
        .map(rows -> first(rows).orElseThrow());
  }

  private static Optional<Entity> first(RowSet<Row> rows) {
    var it = rows.iterator();
    return it.hasNext() ? Optional.of(toEntity(it.next())) : Optional.empty();
  }

  static Entity toEntity(Row row) {
    OffsetDateTime created = row.getOffsetDateTime("created_at");
    OffsetDateTime updated = row.getOffsetDateTime("updated_at");
    return new Entity(
        row.getString("name"),
        Shape.fromJson(new JsonObject(row.getString("shape"))),
        EntityStatus.parse(row.getString("status")),
        row.getLong("version"),
        created == null ? null : created.toInstant(),
        updated == null ? null : updated.toInstant(),
        row.getLong("epoch"));
  }
}
