package io.emcachers.launcher.e2e;

import com.mongodb.ConnectionString;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;
import org.bson.BsonBinary;
import org.bson.BsonBinarySubType;
import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;
import org.bson.types.Decimal128;

/**
 * End-to-end convergence check: every document of a source collection, projected with a test-side
 * implementation of the documented rules, equals every row of the entity's SQLite cache.
 *
 * <p>The projection here is written from the documentation only (coercion table in {@code
 * modules/listener-verticle/README.md}, cache layout in {@code
 * modules/replicator-verticle/README.md}, and the {@code _id} → {@code _doc_id} rule), never from
 * {@code io.emcachers.core.projection}, so a bug there cannot hide itself. The source is read with
 * its own MongoDB client (exact BSON types) and the cache through its own read-only JDBC
 * connection, on every poll.
 *
 * <p>Values are compared in a normalized form, the same for the expected and the stored side:
 * {@code Text} → String, {@code Integer} → Long, {@code Number} → Double, {@code Bool} → Boolean,
 * {@code JSONB} → {@link JsonTree} (parsed and canonicalized: key order, number spelling and {@code
 * $date} spelling do not matter), {@code Any} → String / Long / Double / Json (booleans as 1/0, as
 * the cache stores them; text holding a JSON object or array is compared as JSON, since the cache
 * stores documents as JSON text).
 */
final class ConvergenceCheck {

  static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(60);
  static final int SHOW = 20;

  /** A shape column type (names as the API takes them, any case). */
  enum Type {
    TEXT,
    INTEGER,
    NUMBER,
    BOOL,
    JSONB,
    ANY;

    static Type of(String name) {
      return valueOf(name.toUpperCase(Locale.ROOT));
    }
  }

  record Column(String name, Type type, String path) {
    static List<Column> of(JsonArray columns) {
      List<Column> out = new ArrayList<>();
      for (int i = 0; i < columns.size(); i++) {
        JsonObject c = columns.getJsonObject(i);
        out.add(new Column(c.getString("name"), Type.of(c.getString("type")), c.getString("path")));
      }
      return out;
    }
  }

  /** A JSON value in canonical form (objects as sorted maps, numbers as stripped BigDecimals). */
  record JsonTree(Object value) {
    @Override
    public String toString() {
      return encode(value);
    }
  }

  /** Marks a shape column the cache table does not have. */
  static final Object NO_COLUMN =
      new Object() {
        @Override
        public String toString() {
          return "<no such column>";
        }
      };

  private static final Pattern HEX24 = Pattern.compile("^[0-9a-f]{24}$");
  private static final Pattern DIGITS = Pattern.compile("[0-9]+");
  private static final BigDecimal TEN_POW_40 = BigDecimal.TEN.pow(40);
  private static final BigDecimal LONG_MIN = BigDecimal.valueOf(Long.MIN_VALUE);
  private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);
  private static final DateTimeFormatter ISO_MILLIS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
  private static final JsonWriterSettings RELAXED =
      JsonWriterSettings.builder().outputMode(JsonMode.RELAXED).build();
  private static final JsonWriterSettings CANONICAL =
      JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED).build();

  private final String mongoUrl;
  private final String collection;
  private final Path dataDir;
  private final String entity;
  private final List<Column> columns;
  private Duration deadline = DEFAULT_DEADLINE;
  private Supplier<String> context = () -> "";

  private ConvergenceCheck(
      String mongoUrl, String collection, Path dataDir, String entity, List<Column> columns) {
    this.mongoUrl = mongoUrl;
    this.collection = collection;
    this.dataDir = dataDir;
    this.entity = entity;
    this.columns = columns;
  }

  /**
   * Cache {@code dataDir/dbs/ENTITY/db.sqlite} against collection {@code collection} of the
   * database named by {@code mongoUrl}'s path.
   */
  static ConvergenceCheck of(
      String mongoUrl, String collection, Path dataDir, String entity, JsonArray shapeColumns) {
    return new ConvergenceCheck(mongoUrl, collection, dataDir, entity, Column.of(shapeColumns));
  }

  ConvergenceCheck within(Duration d) {
    this.deadline = d;
    return this;
  }

  /** Extra text for the failure message (entity status, health...), computed only on failure. */
  ConvergenceCheck context(Supplier<String> s) {
    this.context = s;
    return this;
  }

  /**
   * Polls until source and cache are equal; returns the converged expected rows. On timeout fails
   * with the last diff.
   */
  Map<String, Map<String, Object>> awaitConverged() {
    String database = new ConnectionString(mongoUrl).getDatabase();
    Snapshot[] last = new Snapshot[1];
    long started = System.nanoTime();
    try (MongoClient client = MongoClients.create(mongoUrl)) {
      try {
        org.awaitility.Awaitility.await()
            .atMost(deadline)
            .pollDelay(Duration.ZERO)
            .pollInterval(Duration.ofMillis(500))
            .until(
                () -> {
                  last[0] = snapshot(client, database);
                  return last[0].diff == null;
                });
        return last[0].expected;
      } catch (ConditionTimeoutException e) {
        Snapshot s = last[0];
        String extra;
        try {
          extra = context.get();
        } catch (RuntimeException ce) {
          extra = "(context unavailable: " + ce + ")";
        }
        throw new AssertionError(
            "cache of entity '"
                + entity
                + "' did not converge to collection '"
                + collection
                + "' within "
                + Duration.ofNanos(System.nanoTime() - started).toSeconds()
                + " s\n"
                + (s == null ? "(no snapshot taken)" : s.diff)
                + (extra == null || extra.isEmpty() ? "" : "\n  context: " + extra));
      }
    }
  }

  private record Snapshot(Map<String, Map<String, Object>> expected, String diff) {}

  private Snapshot snapshot(MongoClient client, String database) {
    List<BsonDocument> docs;
    Map<String, Map<String, Object>> raw;
    Map<String, String> meta;
    try {
      docs =
          ReactiveMongo.all(
              client.getDatabase(database).getCollection(collection, BsonDocument.class).find());
      raw = SqliteRows.rows(dataDir, entity);
      meta = SqliteRows.meta(dataDir, entity);
    } catch (RuntimeException e) {
      return new Snapshot(null, "  reading source or cache failed: " + e);
    }
    List<String> collisions = new ArrayList<>();
    Map<String, Map<String, Object>> expected = expectedRows(docs, columns, collisions);
    Map<String, Map<String, Object>> actual = storedRows(raw, columns);
    String d = diff(expected, actual);
    if (d == null && collisions.isEmpty()) {
      return new Snapshot(expected, null);
    }
    StringBuilder sb = new StringBuilder();
    sb.append("  source: ")
        .append(docs.size())
        .append(" documents; cache ")
        .append(SqliteRows.file(dataDir, entity))
        .append(": ")
        .append(raw.size())
        .append(" rows, _emc_meta ")
        .append(meta)
        .append('\n');
    if (!collisions.isEmpty()) {
      sb.append("  source _ids that collide under the doc-id rule (a checker or data bug): ")
          .append(collisions)
          .append('\n');
    }
    if (d != null) {
      sb.append(d);
    }
    return new Snapshot(expected, sb.toString());
  }

  // ---------------------------------------------------------------- expected side (documented
  // rules)

  /**
   * doc id → projected row (column → normalized value); {@code collisions} receives ids that map to
   * one doc id twice.
   */
  static Map<String, Map<String, Object>> expectedRows(
      List<BsonDocument> docs, List<Column> columns, List<String> collisions) {
    Map<String, Map<String, Object>> out = new TreeMap<>();
    for (BsonDocument doc : docs) {
      String id = docId(doc.get("_id"));
      if (out.put(id, project(doc, columns)) != null) {
        collisions.add(show(id));
      }
    }
    return out;
  }

  static Map<String, Object> project(BsonDocument doc, List<Column> columns) {
    Map<String, Object> row = new LinkedHashMap<>();
    for (Column c : columns) {
      row.put(c.name(), coerce(c.type(), at(doc, c.path())));
    }
    return row;
  }

  /**
   * The value at a dotted path; digit segments index arrays; null when missing, under a scalar, or
   * an array where a field name is expected.
   */
  static BsonValue at(BsonDocument doc, String path) {
    BsonValue cur = doc;
    for (String seg : path.split("\\.", -1)) {
      if (cur == null) {
        return null;
      }
      if (cur.isDocument()) {
        cur = cur.asDocument().get(seg);
      } else if (cur.isArray()) {
        if (!DIGITS.matcher(seg).matches()) {
          return null;
        }
        List<BsonValue> arr = cur.asArray().getValues();
        int idx;
        try {
          idx = Integer.parseInt(seg);
        } catch (NumberFormatException e) {
          return null;
        }
        cur = idx < arr.size() ? arr.get(idx) : null;
      } else {
        return null;
      }
    }
    return cur;
  }

  /** A column's normalized value for a source value (null for missing / null / does-not-fit). */
  static Object coerce(Type type, BsonValue v) {
    if (v == null || v.isNull()) {
      return null;
    }
    return switch (type) {
      case TEXT -> text(v);
      case INTEGER -> integer(v);
      case NUMBER -> number(v);
      case BOOL -> v.isBoolean() ? v.asBoolean().getValue() : null;
      case JSONB -> new JsonTree(canon(nulFixTree(relaxed(v))));
      case ANY -> any(v);
    };
  }

  private static String text(BsonValue v) {
    return switch (v.getBsonType()) {
      case STRING -> nulFix(v.asString().getValue());
      case SYMBOL -> nulFix(v.asSymbol().getSymbol());
      case OBJECT_ID -> v.asObjectId().getValue().toHexString();
      case BINARY -> uuidOrNull(v.asBinary());
      case DATE_TIME -> isoMillis(v.asDateTime().getValue());
      case INT32 -> Integer.toString(v.asInt32().getValue());
      case INT64 -> Long.toString(v.asInt64().getValue());
      case DOUBLE -> shortestDouble(v.asDouble().getValue());
      case DECIMAL128 -> {
        BigDecimal bd = decimal(v.asDecimal128().getValue());
        yield bd == null ? null : bd.toPlainString();
      }
      case BOOLEAN -> Boolean.toString(v.asBoolean().getValue());
      default -> null;
    };
  }

  private static Long integer(BsonValue v) {
    return switch (v.getBsonType()) {
      case INT32 -> (long) v.asInt32().getValue();
      case INT64 -> v.asInt64().getValue();
      case DOUBLE -> {
        double d = v.asDouble().getValue();
        yield Double.isFinite(d) && d == Math.rint(d) && d >= -0x1p63 && d < 0x1p63
            ? (long) d
            : null;
      }
      case DECIMAL128 -> {
        BigDecimal bd = decimal(v.asDecimal128().getValue());
        if (bd == null) {
          yield null;
        }
        if (bd.signum() == 0) {
          yield 0L;
        }
        BigDecimal s = bd.stripTrailingZeros();
        yield s.scale() <= 0 && s.compareTo(LONG_MIN) >= 0 && s.compareTo(LONG_MAX) <= 0
            ? s.longValueExact()
            : null;
      }
      default -> null;
    };
  }

  private static Double number(BsonValue v) {
    return switch (v.getBsonType()) {
      case INT32 -> real(v.asInt32().getValue());
      case INT64 -> real((double) v.asInt64().getValue());
      case DOUBLE ->
          Double.isFinite(v.asDouble().getValue()) ? real(v.asDouble().getValue()) : null;
      case DECIMAL128 -> {
        BigDecimal bd = decimal(v.asDecimal128().getValue());
        double d = bd == null ? Double.NaN : bd.doubleValue();
        yield Double.isFinite(d) ? real(d) : null;
      }
      default -> null;
    };
  }

  private static Object any(BsonValue v) {
    switch (v.getBsonType()) {
      case STRING:
        return anyText(nulFix(v.asString().getValue()));
      case BOOLEAN:
        return v.asBoolean().getValue()
            ? 1L
            : 0L; // the cache stores booleans of an Any column as 1/0
      case INT32:
        return (long) v.asInt32().getValue();
      case INT64:
        return v.asInt64().getValue();
      case DOUBLE:
        {
          double d = v.asDouble().getValue();
          return Double.isFinite(d) ? (Object) real(d) : nonFinite(d);
        }
      case DECIMAL128:
        {
          Decimal128 dec = v.asDecimal128().getValue();
          if (dec.isNaN()) {
            return "NaN";
          }
          if (dec.isInfinite()) {
            return dec.isNegative() ? "-Infinity" : "Infinity";
          }
          BigDecimal bd = decimal(dec);
          double d = bd.doubleValue();
          if (Double.isFinite(d) && new BigDecimal(shortestDouble(d)).compareTo(bd) == 0) {
            return real(d);
          }
          return dec.toString();
        }
      case OBJECT_ID:
        return v.asObjectId().getValue().toHexString();
      case DATE_TIME:
        return isoMillis(v.asDateTime().getValue());
      case BINARY:
        {
          String uuid = uuidOrNull(v.asBinary());
          if (uuid != null) {
            return uuid;
          }
          break;
        }
      default:
        break;
    }
    // documents, arrays, other types: relaxed Extended JSON
    Object json = nulFixTree(relaxed(v));
    if (json instanceof Map || json instanceof List) {
      return new JsonTree(canon(json));
    }
    if (json instanceof String s) {
      return anyText(s);
    }
    if (json instanceof Boolean b) {
      return b ? 1L : 0L;
    }
    if (json instanceof Number n) {
      return n instanceof Double || n instanceof Float || n instanceof BigDecimal
          ? (Object) real(n.doubleValue())
          : (Object) n.longValue();
    }
    return json;
  }

  /**
   * The {@code _doc_id} of an {@code _id} (the rule given with the tests; implemented here
   * independently of core).
   */
  static String docId(BsonValue id) {
    if (id == null || id.isNull()) {
      return "~null";
    }
    switch (id.getBsonType()) {
      case STRING:
        {
          String s = id.asString().getValue();
          if (s.isEmpty()
              || s.startsWith("~")
              || HEX24.matcher(s).matches()
              || s.indexOf('\0') >= 0) {
            return "~s:" + s.replace("\\", "\\\\").replace("\0", "\\0");
          }
          return s;
        }
      case OBJECT_ID:
        return id.asObjectId().getValue().toHexString();
      case INT32:
        return "~n:" + numberText(BigDecimal.valueOf(id.asInt32().getValue()));
      case INT64:
        return "~n:" + numberText(BigDecimal.valueOf(id.asInt64().getValue()));
      case DOUBLE:
        {
          double d = id.asDouble().getValue();
          return "~n:" + (Double.isFinite(d) ? numberText(new BigDecimal(d)) : nonFinite(d));
        }
      case DECIMAL128:
        {
          Decimal128 dec = id.asDecimal128().getValue();
          if (dec.isNaN()) {
            return "~n:NaN";
          }
          if (dec.isInfinite()) {
            return "~n:" + (dec.isNegative() ? "-Infinity" : "Infinity");
          }
          return "~n:" + numberText(decimal(dec));
        }
      case BOOLEAN:
        return "~b:" + id.asBoolean().getValue();
      case DATE_TIME:
        return "~d:" + isoMillis(id.asDateTime().getValue());
      case BINARY:
        {
          String uuid = uuidOrNull(id.asBinary());
          if (uuid != null) {
            return "~u:" + uuid;
          }
          break;
        }
      default:
        break;
    }
    return "~j:" + new BsonDocument("v", id).toJson(CANONICAL);
  }

  private static String numberText(BigDecimal exact) {
    if (exact.signum() == 0) {
      return "0";
    }
    BigDecimal s = exact.stripTrailingZeros();
    if (s.scale() <= 0 && s.abs().compareTo(TEN_POW_40) < 0) {
      return s.toBigIntegerExact().toString();
    }
    return s.toString();
  }

  private static String nonFinite(double d) {
    return Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
  }

  /** Finite Decimal128 as BigDecimal (negative zero → 0); null for NaN / infinities. */
  private static BigDecimal decimal(Decimal128 dec) {
    if (dec.isNaN() || dec.isInfinite()) {
      return null;
    }
    try {
      return dec.bigDecimalValue();
    } catch (ArithmeticException negativeZero) {
      return BigDecimal.ZERO;
    }
  }

  /**
   * Shortest decimal digits that read back as {@code d}, in plain notation ({@code 1.5}, {@code 3},
   * {@code 0.0000001}).
   */
  static String shortestDouble(double d) {
    if (!Double.isFinite(d)) {
      return nonFinite(d);
    }
    if (d == 0) {
      return "0";
    }
    BigDecimal exact = new BigDecimal(d);
    for (int p = 1; p <= 17; p++) {
      BigDecimal r = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
      if (r.doubleValue() == d) {
        return r.stripTrailingZeros().toPlainString();
      }
    }
    return exact.toPlainString();
  }

  static String isoMillis(long epochMillis) {
    return ISO_MILLIS.format(Instant.ofEpochMilli(epochMillis));
  }

  private static String uuidOrNull(BsonBinary b) {
    if (b.getType() != BsonBinarySubType.UUID_STANDARD.getValue() || b.getData().length != 16) {
      return null;
    }
    byte[] data = b.getData();
    long msb = 0;
    long lsb = 0;
    for (int i = 0; i < 8; i++) {
      msb = (msb << 8) | (data[i] & 0xff);
      lsb = (lsb << 8) | (data[i + 8] & 0xff);
    }
    return new UUID(msb, lsb).toString();
  }

  private static String nulFix(String s) {
    return s.replace('\0', '\uFFFD');
  }

  /** Relaxed Extended JSON of one value, parsed (maps, lists, numbers, strings, booleans, null). */
  private static Object relaxed(BsonValue v) {
    return plain(new JsonObject(new BsonDocument("v", v).toJson(RELAXED)).getValue("v"));
  }

  private static Object nulFixTree(Object o) {
    if (o instanceof String s) {
      return nulFix(s);
    }
    if (o instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      m.forEach((k, val) -> out.put(String.valueOf(k), nulFixTree(val)));
      return out;
    }
    if (o instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      l.forEach(x -> out.add(nulFixTree(x)));
      return out;
    }
    return o;
  }

  private static Double real(double d) {
    return d == 0 ? 0.0 : d; // -0.0 and 0.0 are one value here
  }

  /**
   * Any text: JSON object/array text is compared as JSON (the cache stores Any documents as JSON
   * text).
   */
  private static Object anyText(String s) {
    String t = s.strip();
    if (t.startsWith("{") || t.startsWith("[")) {
      JsonTree j = parseJson(t);
      if (j != null) {
        return j;
      }
    }
    return s;
  }

  // ---------------------------------------------------------------- stored side

  /**
   * The cache's rows ({@link SqliteRows#rows}) in the normalized form, with {@link #NO_COLUMN} for
   * shape columns the table lacks.
   */
  static Map<String, Map<String, Object>> storedRows(
      Map<String, Map<String, Object>> raw, List<Column> columns) {
    Map<String, Map<String, Object>> out = new TreeMap<>();
    raw.forEach(
        (id, row) -> {
          Map<String, Object> r = new LinkedHashMap<>();
          for (Column c : columns) {
            r.put(
                c.name(),
                row.containsKey(c.name()) ? stored(c.type(), row.get(c.name())) : NO_COLUMN);
          }
          out.put(id, r);
        });
    return out;
  }

  /**
   * One stored SQLite value (as JDBC {@code getObject} returns it) in the normalized form of its
   * column type.
   */
  static Object stored(Type type, Object v) {
    if (v == null) {
      return null;
    }
    switch (type) {
      case TEXT:
        return v instanceof String ? v : tagged(v);
      case INTEGER:
        if (v instanceof Integer || v instanceof Long) {
          return ((Number) v).longValue();
        }
        return v instanceof Double d ? (Object) real(d) : tagged(v);
      case NUMBER:
        return v instanceof Number n ? (Object) real(n.doubleValue()) : tagged(v);
      case BOOL:
        if (v instanceof Number n
            && (n.longValue() == 0 || n.longValue() == 1)
            && !(v instanceof Double)) {
          return n.longValue() == 1;
        }
        return tagged(v);
      case JSONB:
        {
          if (!(v instanceof String s)) {
            return tagged(v);
          }
          JsonTree j = parseJson(s);
          return j != null ? j : "<unparseable JSON> " + s;
        }
      case ANY:
        if (v instanceof Integer || v instanceof Long) {
          return ((Number) v).longValue();
        }
        if (v instanceof Double d) {
          return real(d);
        }
        return v instanceof String s ? anyText(s) : tagged(v);
      default:
        throw new IllegalStateException(type.name());
    }
  }

  private static String tagged(Object v) {
    return "<"
        + v.getClass().getSimpleName()
        + "> "
        + (v instanceof byte[] b ? java.util.HexFormat.of().formatHex(b) : v);
  }

  // ---------------------------------------------------------------- JSON canonical form

  /** Parses JSON text into the canonical form; null when it is not JSON. */
  static JsonTree parseJson(String text) {
    try {
      return new JsonTree(canon(plain(Json.decodeValue(text))));
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Vert.x JSON types → plain maps and lists. */
  private static Object plain(Object o) {
    if (o instanceof JsonObject j) {
      return plain(j.getMap());
    }
    if (o instanceof JsonArray a) {
      return plain(a.getList());
    }
    if (o instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      m.forEach((k, v) -> out.put(String.valueOf(k), plain(v)));
      return out;
    }
    if (o instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      l.forEach(x -> out.add(plain(x)));
      return out;
    }
    return o;
  }

  static Object canon(Object o) {
    if (o instanceof Map<?, ?> m) {
      TreeMap<String, Object> out = new TreeMap<>();
      m.forEach((k, v) -> out.put(String.valueOf(k), canon(v)));
      if (out.size() == 1 && out.containsKey("$date")) {
        Long ms = dateMillis(out.get("$date"));
        if (ms != null) {
          out.put("$date", BigDecimal.valueOf(ms));
        }
      }
      return out;
    }
    if (o instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      l.forEach(x -> out.add(canon(x)));
      return out;
    }
    if (o instanceof Number n) {
      BigDecimal bd;
      if (n instanceof BigDecimal b) {
        bd = b;
      } else if (n instanceof BigInteger b) {
        bd = new BigDecimal(b);
      } else if (n instanceof Double || n instanceof Float) {
        double d = n.doubleValue();
        if (!Double.isFinite(d)) {
          return nonFinite(d);
        }
        bd = new BigDecimal(shortestDouble(d));
      } else {
        bd = BigDecimal.valueOf(n.longValue());
      }
      return bd.signum() == 0 ? BigDecimal.ZERO : bd.stripTrailingZeros();
    }
    return o;
  }

  /** {@code {"$date": "ISO"}} or {@code {"$date": {"$numberLong": "ms"}}} → epoch millis. */
  private static Long dateMillis(Object v) {
    try {
      if (v instanceof String s) {
        return OffsetDateTime.parse(s).toInstant().toEpochMilli();
      }
      if (v instanceof Map<?, ?> m && m.size() == 1 && m.get("$numberLong") instanceof String s) {
        return Long.parseLong(s);
      }
    } catch (RuntimeException e) {
      return null;
    }
    return null;
  }

  static String encode(Object o) {
    if (o == null) {
      return "null";
    }
    if (o instanceof Map<?, ?> m) {
      StringBuilder sb = new StringBuilder("{");
      m.forEach(
          (k, v) ->
              sb.append(sb.length() > 1 ? "," : "")
                  .append(Json.encode(String.valueOf(k)))
                  .append(':')
                  .append(encode(v)));
      return sb.append('}').toString();
    }
    if (o instanceof List<?> l) {
      StringBuilder sb = new StringBuilder("[");
      l.forEach(v -> sb.append(sb.length() > 1 ? "," : "").append(encode(v)));
      return sb.append(']').toString();
    }
    if (o instanceof BigDecimal b) {
      return b.toString();
    }
    if (o instanceof String s) {
      return Json.encode(s);
    }
    return String.valueOf(o);
  }

  // ---------------------------------------------------------------- diff

  /**
   * Null when equal; else missing rows, extra rows and differing columns per doc id (first {@value
   * #SHOW} of each).
   */
  static String diff(
      Map<String, Map<String, Object>> expected, Map<String, Map<String, Object>> actual) {
    Set<String> missing = new TreeSet<>(expected.keySet());
    missing.removeAll(actual.keySet());
    Set<String> extra = new TreeSet<>(actual.keySet());
    extra.removeAll(expected.keySet());
    Map<String, List<String>> differing = new TreeMap<>();
    for (Map.Entry<String, Map<String, Object>> e : expected.entrySet()) {
      Map<String, Object> got = actual.get(e.getKey());
      if (got == null) {
        continue;
      }
      List<String> cols = new ArrayList<>();
      for (Map.Entry<String, Object> c : e.getValue().entrySet()) {
        Object a = got.get(c.getKey());
        if (!Objects.equals(c.getValue(), a)) {
          cols.add(c.getKey() + ": expected " + show(c.getValue()) + ", cached " + show(a));
        }
      }
      if (!cols.isEmpty()) {
        differing.put(e.getKey(), cols);
      }
    }
    if (missing.isEmpty() && extra.isEmpty() && differing.isEmpty()) {
      return null;
    }
    StringBuilder sb = new StringBuilder();
    sb.append("  expected ")
        .append(expected.size())
        .append(" rows, cached ")
        .append(actual.size())
        .append(": missing ")
        .append(missing.size())
        .append(", extra ")
        .append(extra.size())
        .append(", differing ")
        .append(differing.size())
        .append('\n');
    section(sb, "missing rows (in the source, not in the cache)", missing.size());
    missing.stream()
        .limit(SHOW)
        .forEach(
            id ->
                sb.append("    ")
                    .append(show(id))
                    .append(' ')
                    .append(showRow(expected.get(id)))
                    .append('\n'));
    section(sb, "extra rows (in the cache, not in the source)", extra.size());
    extra.stream()
        .limit(SHOW)
        .forEach(
            id ->
                sb.append("    ")
                    .append(show(id))
                    .append(' ')
                    .append(showRow(actual.get(id)))
                    .append('\n'));
    section(sb, "differing rows", differing.size());
    differing.entrySet().stream()
        .limit(SHOW)
        .forEach(
            e ->
                sb.append("    ")
                    .append(show(e.getKey()))
                    .append(": ")
                    .append(String.join("; ", e.getValue()))
                    .append('\n'));
    return sb.toString();
  }

  private static void section(StringBuilder sb, String title, int n) {
    sb.append("  ")
        .append(title)
        .append(" (")
        .append(n > SHOW ? "first " + SHOW + " of " + n : String.valueOf(n))
        .append("):\n");
  }

  private static String showRow(Map<String, Object> row) {
    StringBuilder sb = new StringBuilder("{");
    row.forEach(
        (k, v) -> sb.append(sb.length() > 1 ? ", " : "").append(k).append('=').append(show(v)));
    return sb.append('}').toString();
  }

  /**
   * A value for the diff: strings quoted with escapes, NULL, Long as digits, Double with its
   * fraction, JSON tagged.
   */
  static String show(Object v) {
    if (v == null) {
      return "NULL";
    }
    if (v instanceof String s) {
      StringBuilder sb = new StringBuilder("\"");
      for (char ch : s.toCharArray()) {
        if (ch == '"' || ch == '\\') {
          sb.append('\\').append(ch);
        } else if (ch < 0x20 || ch > 0x7e) {
          sb.append(String.format("\\u%04x", (int) ch));
        } else {
          sb.append(ch);
        }
      }
      return sb.append('"').toString();
    }
    if (v instanceof Double d) {
      return d + " (real)";
    }
    if (v instanceof JsonTree j) {
      String q = show(j.toString());
      return "json " + q.substring(1, q.length() - 1).replace("\\\"", "\"");
    }
    return String.valueOf(v);
  }
}
