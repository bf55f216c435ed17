package io.emcachers.cache;

import io.emcachers.core.model.Column;
import io.emcachers.core.model.DataType;
import io.emcachers.core.model.Entity;
import io.emcachers.core.model.Shape;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The SQLite layout of one entity cache and the mapping of oplog values to column values:
 *
 * <ul>
 *   <li>table {@code "<entity>"}: {@code _doc_id TEXT PRIMARY KEY}, one column per shape column
 *       with the type's affinity, {@code _oplog_id INTEGER};
 *   <li>table {@code _emc_meta(key TEXT PRIMARY KEY, value TEXT)}: {@code last_oplog_id}, {@code
 *       shape_hash}, {@code entity}, {@code shape} (the shape JSON), {@code entity_version}, {@code
 *       incarnation} ({@link #incarnation}) and {@code doc_id_rule} ({@link #DOC_ID_RULE}).
 * </ul>
 *
 * Identifiers are always double-quoted; entity and column names are validated upstream too.
 */
public final class CacheSchema {

  public static final String DOC_ID = "_doc_id";
  public static final String OPLOG_ID = "_oplog_id";
  public static final String META_TABLE = "_emc_meta";
  public static final String META_LAST_OPLOG_ID = "last_oplog_id";
  public static final String META_SHAPE_HASH = "shape_hash";
  public static final String META_ENTITY = "entity";
  public static final String META_SHAPE = "shape";
  public static final String META_ENTITY_VERSION = "entity_version";
  public static final String META_INCARNATION = "incarnation";
  public static final String META_DOC_ID_RULE = "doc_id_rule";

  /**
   * The version of the rule that turns a document's {@code _id} into its {@code doc_id} ({@link
   * io.emcachers.core.projection.DocIds#RULE_VERSION}), recorded in every cache as {@code
   * doc_id_rule}; a cache recorded with another rule, or with none, is rebuilt from the oplog.
   */
  public static final String DOC_ID_RULE =
      String.valueOf(io.emcachers.core.projection.DocIds.RULE_VERSION);

  private CacheSchema() {}

  /**
   * The incarnation of an entity, recorded in its cache as {@code incarnation}: the name and the
   * instant it was created ({@code items@2026-01-02T03:04:05.123456Z}). Deleting an entity and
   * creating it again gives a new created_at, so a cache of the earlier incarnation never passes
   * for one of the new; {@code @unknown} when the entity snapshot carries no created_at.
   */
  public static String incarnation(Entity e) {
    return e.name() + "@" + (e.createdAt() == null ? UNKNOWN_CREATED_AT : e.createdAt().toString());
  }

  static final String UNKNOWN_CREATED_AT = "unknown";

  /** {@code "name"} with embedded quotes doubled. */
  public static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  /**
   * The declared type giving the SQLite affinity of {@code type}; empty for Any (no declared type).
   */
  public static String declaredType(DataType type) {
    if (type == null) {
      return "";
    }
    return switch (type) {
      case Text, JSONB -> "TEXT";
      case Integer, Bool -> "INTEGER";
      case Number -> "REAL";
      case Any -> "";
    };
  }

  public static String createMetaTable() {
    return "CREATE TABLE IF NOT EXISTS " + META_TABLE + " (key TEXT PRIMARY KEY, value TEXT)";
  }

  public static String createTable(String entity, Shape shape) {
    StringBuilder sb =
        new StringBuilder("CREATE TABLE IF NOT EXISTS ")
            .append(quote(entity))
            .append(" (")
            .append(quote(DOC_ID))
            .append(" TEXT PRIMARY KEY");
    for (Column c : shape.columns()) {
      sb.append(", ").append(quote(c.name()));
      String t = declaredType(c.type());
      if (!t.isEmpty()) {
        sb.append(' ').append(t);
      }
    }
    return sb.append(", ").append(quote(OPLOG_ID)).append(" INTEGER)").toString();
  }

  /** Upsert of one row: parameters are doc id, the shape's columns in order, oplog id. */
  public static String upsert(String entity, Shape shape) {
    List<String> cols = new ArrayList<>();
    cols.add(quote(DOC_ID));
    shape.columns().forEach(c -> cols.add(quote(c.name())));
    cols.add(quote(OPLOG_ID));
    String params = cols.stream().map(c -> "?").collect(Collectors.joining(", "));
    String updates =
        cols.subList(1, cols.size()).stream()
            .map(c -> c + " = excluded." + c)
            .collect(Collectors.joining(", "));
    return "INSERT INTO "
        + quote(entity)
        + " ("
        + String.join(", ", cols)
        + ") VALUES ("
        + params
        + ") ON CONFLICT("
        + quote(DOC_ID)
        + ") DO UPDATE SET "
        + updates;
  }

  public static String delete(String entity) {
    return "DELETE FROM " + quote(entity) + " WHERE " + quote(DOC_ID) + " = ?";
  }

  public static String upsertMeta() {
    return "INSERT INTO "
        + META_TABLE
        + " (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value";
  }

  /**
   * Binds {@code value} for a column of {@code type} at {@code index}. Returns false when the value
   * does not fit the type and NULL was bound instead (the caller counts those).
   *
   * <p>Text: strings. Integer: integral numbers. Number: any number (REAL). Bool: true/false as
   * 1/0. JSONB: any value as JSON text. Any: strings, numbers as they are, booleans as 1/0, objects
   * and arrays as JSON text.
   */
  public static boolean bind(PreparedStatement ps, int index, DataType type, Object value)
      throws SQLException {
    Object v = boundValue(type, value);
    if (v instanceof String s) {
      ps.setString(index, s);
    } else if (v instanceof Long l) {
      ps.setLong(index, l);
    } else if (v instanceof Double d) {
      ps.setDouble(index, d);
    } else {
      ps.setNull(index, Types.NULL);
      return v == null;
    }
    return true;
  }

  /** What {@link #boundValue} returns for a value that does not fit its column's type. */
  static final Object UNFIT = new Object();

  /**
   * The value {@link #bind} binds for a column of {@code type}: a String, Long or Double, null for
   * NULL, or {@link #UNFIT} when the value does not fit the type (NULL is bound and counted). With
   * each column's declared type ({@link #declaredType}) SQLite stores these as they are, so this is
   * also what a read of the row returns, up to the storage engine's own conversions (a REAL -0.0,
   * text that is not valid UTF-16) which {@link CacheCompare} settles by a scratch-table write.
   */
  static Object boundValue(DataType type, Object value) {
    if (value == null) {
      return null;
    }
    DataType t = type == null ? DataType.Any : type;
    switch (t) {
      case Text -> {
        if (value instanceof String s) {
          return s;
        }
      }
      case Integer -> {
        Long l = integral(value);
        if (l != null) {
          return l;
        }
      }
      case Number -> {
        if (value instanceof Number n && Double.isFinite(n.doubleValue())) {
          return n.doubleValue();
        }
      }
      case Bool -> {
        if (value instanceof Boolean b) {
          return b ? 1L : 0L;
        }
      }
      case JSONB -> {
        return jsonText(value);
      }
      case Any -> {
        if (value instanceof String s) {
          return s;
        } else if (value instanceof Boolean b) {
          return b ? 1L : 0L;
        } else if (value instanceof Number n) {
          Long l =
              (n instanceof Double || n instanceof Float || n instanceof BigDecimal)
                  ? null
                  : integral(n);
          if (l != null) {
            return l;
          } else if (Double.isFinite(n.doubleValue())) {
            return n.doubleValue();
          }
        } else {
          return jsonText(value);
        }
      }
    }
    return UNFIT;
  }

  /** A long when {@code value} is an integral number that fits one, else null. */
  static Long integral(Object value) {
    if (value instanceof Long
        || value instanceof java.lang.Integer
        || value instanceof Short
        || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    if (value instanceof BigInteger bi) {
      return bi.bitLength() < 64 ? bi.longValue() : null;
    }
    if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      if (Double.isFinite(d) && d == Math.rint(d) && Math.abs(d) < 9.007199254740992E15) {
        return (long) d;
      }
      return null;
    }
    if (value instanceof BigDecimal bd) {
      try {
        return bd.longValueExact();
      } catch (ArithmeticException e) {
        return null;
      }
    }
    return null;
  }

  /**
   * JSON text of a value: {@link CompactJson} where it vouches for the text, else Vert.x's
   * streaming Jackson codec — the same text as {@code encode()} either way, without the object
   * mapper's per-call work (this runs for every JSON column of every row written and verified).
   */
  static String jsonText(Object value) {
    String compact = CompactJson.write(value);
    if (compact != null) {
      return compact;
    }
    if (value instanceof JsonObject || value instanceof JsonArray) {
      return STREAMING_JSON.toString(value, false);
    }
    return Json.encode(value);
  }

  private static final io.vertx.core.json.jackson.JacksonCodec STREAMING_JSON =
      new io.vertx.core.json.jackson.JacksonCodec();

  /**
   * Converts a value read from SQLite back to JSON for a column of {@code type}: Bool 0/1 →
   * false/true, JSONB text → the JSON value it holds; anything else as stored. Values whose storage
   * class does not match (possible only through outside writes) are returned as stored.
   */
  public static Object toJson(DataType type, Object stored) {
    if (stored == null || type == null) {
      return normalize(stored);
    }
    switch (type) {
      case Bool -> {
        if (stored instanceof Number n) {
          return n.longValue() != 0;
        }
      }
      case JSONB -> {
        if (stored instanceof String s) {
          try {
            return Json.decodeValue(s);
          } catch (RuntimeException e) {
            return s;
          }
        }
      }
      default -> {}
    }
    return normalize(stored);
  }

  /** JDBC objects to JSON-friendly values: ints widen to long, blobs become base64 text. */
  static Object normalize(Object stored) {
    if (stored instanceof java.lang.Integer i) {
      return i.longValue();
    }
    if (stored instanceof byte[] b) {
      return java.util.Base64.getEncoder().encodeToString(b);
    }
    return stored;
  }

  /**
   * Binds one Upsert row for {@link CacheSchema#upsert}: doc id, each of {@code cols} from {@code
   * data} by column name ({@link #bind}; a missing column or null data is NULL), oplog id — the
   * binding {@link CacheWriter#apply} does. Returns how many values were nulled.
   */
  static int bindUpsert(
      PreparedStatement ps, List<Column> cols, String docId, JsonObject data, long oplogId)
      throws SQLException {
    JsonObject d = data == null ? new JsonObject() : data;
    int nulled = 0;
    ps.setString(1, docId);
    for (int i = 0; i < cols.size(); i++) {
      Column c = cols.get(i);
      if (!bind(ps, i + 2, c.type(), d.getValue(c.name()))) {
        nulled++;
      }
    }
    ps.setLong(cols.size() + 2, oplogId);
    return nulled;
  }
}
