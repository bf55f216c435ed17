package io.emcachers.cache;

import io.emcachers.cache.CacheException.Kind;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.Locale;
import org.sqlite.ProgressHandler;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * Runs one user query against a cache, read-only, in four layers: the text must be exactly one
 * statement starting with SELECT or WITH (checked here, outside literals and comments); it runs on
 * a connection opened with {@code SQLITE_OPEN_READONLY} and {@code PRAGMA query_only=1}; parameters
 * are bound, never spliced; a progress handler interrupts it at the time limit and at most {@code
 * maxRows} rows come back ({@code truncated} tells when more matched).
 */
public final class ReadOnlyQuery {

  /** Progress handler granularity: SQLite VM instructions between deadline checks. */
  private static final int PROGRESS_STEPS = 1000;

  private ReadOnlyQuery() {}

  /**
   * Throws {@link Kind#FORBIDDEN} unless {@code sql} is exactly one SELECT or WITH statement;
   * {@link Kind#INVALID} when empty.
   */
  public static void check(String sql) {
    if (sql == null || sql.isBlank()) {
      throw new CacheException(Kind.INVALID, "sql is required");
    }
    int n = sql.length();
    int i = skipSpaceAndComments(sql, 0);
    int wordEnd = i;
    while (wordEnd < n && Character.isLetter(sql.charAt(wordEnd))) {
      wordEnd++;
    }
    String first = sql.substring(i, wordEnd).toUpperCase(Locale.ROOT);
    if (!first.equals("SELECT") && !first.equals("WITH")) {
      throw new CacheException(
          Kind.FORBIDDEN,
          "only one read-only SELECT or WITH statement is allowed; got "
              + (first.isEmpty() ? "'" + abbreviate(sql.substring(i)) + "'" : first));
    }
    int end = statementEnd(sql, wordEnd);
    if (end < n) {
      int rest = skipSpaceAndComments(sql, end + 1);
      while (rest < n && sql.charAt(rest) == ';') {
        rest = skipSpaceAndComments(sql, rest + 1);
      }
      if (rest < n) {
        throw new CacheException(
            Kind.FORBIDDEN,
            "exactly one statement is allowed; found more after ';' at offset " + end);
      }
    }
  }

  /**
   * Runs a checked query on {@code reader} (a read-only connection). {@code timeoutMs} bounds the
   * running time; at most {@code maxRows} rows are returned.
   */
  static RowJson.Rows run(
      Connection reader, CacheDb db, String sql, JsonArray params, int maxRows, long timeoutMs) {
    check(sql);
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    boolean[] timedOut = {false};
    try {
      ProgressHandler.setHandler(
          reader,
          PROGRESS_STEPS,
          new ProgressHandler() {
            @Override
            protected int progress() {
              if (System.nanoTime() - deadline > 0) {
                timedOut[0] = true;
                return 1;
              }
              return 0;
            }
          });
      try (PreparedStatement ps = reader.prepareStatement(sql)) {
        int expected = ps.getParameterMetaData().getParameterCount();
        if (expected != params.size()) {
          throw new CacheException(
              Kind.INVALID, "the query has " + expected + " parameter(s), got " + params.size());
        }
        for (int i = 0; i < params.size(); i++) {
          bindParam(ps, i + 1, params.getValue(i));
        }
        try (ResultSet rs = ps.executeQuery()) {
          return RowJson.readAll(
              rs,
              db.entity(),
              db.readerShape(),
              maxRows,
              () -> {
                if (System.nanoTime() - deadline > 0) {
                  timedOut[0] = true;
                  throw new CacheException(
                      Kind.TIMEOUT, "query exceeded its time limit of " + timeoutMs + " ms");
                }
              });
        }
      }
    } catch (SQLException e) {
      throw translate(e, timedOut[0], timeoutMs);
    } finally {
      try {
        ProgressHandler.clearHandler(reader);
      } catch (SQLException ignored) {
        // the connection is unusable anyway; the registry closes it on error
      }
    }
  }

  static void bindParam(PreparedStatement ps, int index, Object v) throws SQLException {
    if (v == null) {
      ps.setNull(index, Types.NULL);
    } else if (v instanceof String s) {
      ps.setString(index, s);
    } else if (v instanceof Boolean b) {
      ps.setInt(index, b ? 1 : 0);
    } else if (v instanceof Double || v instanceof Float) {
      ps.setDouble(index, ((Number) v).doubleValue());
    } else if (v instanceof Number num) {
      Long l = CacheSchema.integral(num);
      if (l != null) {
        ps.setLong(index, l);
      } else {
        ps.setDouble(index, num.doubleValue());
      }
    } else if (v instanceof JsonObject || v instanceof JsonArray) {
      ps.setString(index, CacheSchema.jsonText(v));
    } else {
      ps.setString(index, String.valueOf(v));
    }
  }

  private static CacheException translate(SQLException e, boolean timedOut, long timeoutMs) {
    int primary = -1;
    if (e instanceof SQLiteException se && se.getResultCode() != null) {
      primary = se.getResultCode().code & 0xff;
    }
    String msg = e.getMessage() == null ? e.toString() : e.getMessage();
    if (timedOut || primary == SQLiteErrorCode.SQLITE_INTERRUPT.code) {
      return new CacheException(
          Kind.TIMEOUT, "query exceeded its time limit of " + timeoutMs + " ms", e);
    }
    if (primary == SQLiteErrorCode.SQLITE_READONLY.code
        || msg.contains("readonly")
        || msg.contains("does not return results")) {
      return new CacheException(Kind.FORBIDDEN, "queries are read-only: " + msg, e);
    }
    if (primary == SQLiteErrorCode.SQLITE_ERROR.code
        || primary == SQLiteErrorCode.SQLITE_RANGE.code
        || primary == SQLiteErrorCode.SQLITE_TOOBIG.code) {
      return new CacheException(Kind.INVALID, "query failed: " + msg, e);
    }
    return new CacheException(Kind.FAILED, "query failed: " + msg, e);
  }

  /** Index of the first ';' outside literals, quoted identifiers and comments, or the length. */
  static int statementEnd(String sql, int from) {
    int n = sql.length();
    int i = from;
    while (i < n) {
      char c = sql.charAt(i);
      switch (c) {
        case '\'', '"', '`' -> i = skipQuoted(sql, i, c);
        case '[' -> {
          int close = sql.indexOf(']', i + 1);
          i = close < 0 ? n : close + 1;
        }
        case '-' -> {
          if (i + 1 < n && sql.charAt(i + 1) == '-') {
            i = skipLineComment(sql, i);
          } else {
            i++;
          }
        }
        case '/' -> {
          if (i + 1 < n && sql.charAt(i + 1) == '*') {
            i = skipBlockComment(sql, i);
          } else {
            i++;
          }
        }
        case ';' -> {
          return i;
        }
        default -> i++;
      }
    }
    return n;
  }

  static int skipSpaceAndComments(String sql, int from) {
    int n = sql.length();
    int i = from;
    while (i < n) {
      char c = sql.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
        i = skipLineComment(sql, i);
      } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
        i = skipBlockComment(sql, i);
      } else {
        break;
      }
    }
    return i;
  }

  private static int skipQuoted(String sql, int start, char quote) {
    int n = sql.length();
    int i = start + 1;
    while (i < n) {
      if (sql.charAt(i) == quote) {
        if (i + 1 < n && sql.charAt(i + 1) == quote) {
          i += 2; // doubled quote inside the literal
          continue;
        }
        return i + 1;
      }
      i++;
    }
    return n;
  }

  private static int skipLineComment(String sql, int start) {
    int nl = sql.indexOf('\n', start);
    return nl < 0 ? sql.length() : nl + 1;
  }

  private static int skipBlockComment(String sql, int start) {
    int close = sql.indexOf("*/", start + 2);
    return close < 0 ? sql.length() : close + 2;
  }

  private static String abbreviate(String s) {
    return s.length() > 20 ? s.substring(0, 20) + "..." : s;
  }
}
