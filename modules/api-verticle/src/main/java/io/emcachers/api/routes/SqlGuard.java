package io.emcachers.api.routes;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * An early, conservative screen for the cache query endpoint: one statement that starts with {@code
 * SELECT} or {@code WITH} and names no writing or schema keyword outside string literals, quoted
 * identifiers and comments. The cache side is the real guard (a read-only connection, and a
 * statement that SQLite reports as read-only); this only turns obvious mistakes and attacks into a
 * precise 400 without touching a cache. The SQL is never edited or assembled here; values travel as
 * bound parameters.
 */
final class SqlGuard {

  public static final int MAX_SQL_LENGTH = 20_000;

  /**
   * Keywords that only appear in writing, schema, transaction or connection-changing statements.
   */
  private static final Set<String> FORBIDDEN =
      Set.of(
          "insert",
          "update",
          "delete",
          "upsert",
          "attach",
          "detach",
          "pragma",
          "create",
          "drop",
          "alter",
          "vacuum",
          "reindex",
          "analyze",
          "begin",
          "commit",
          "rollback",
          "savepoint",
          "release",
          "load_extension");

  private SqlGuard() {}

  /** Returns why {@code sql} is refused, or null when it passes the screen. */
  public static String reject(String sql) {
    if (sql == null || sql.isBlank()) {
      return "is required: one SELECT statement";
    }
    if (sql.length() > MAX_SQL_LENGTH) {
      return "must be at most " + MAX_SQL_LENGTH + " characters, got " + sql.length();
    }
    List<Word> words = new ArrayList<>();
    String error = scan(sql, words);
    if (error != null) {
      return error;
    }
    if (words.isEmpty()) {
      return "must be one SELECT statement";
    }
    String first = words.get(0).text;
    if (!first.equals("select") && !first.equals("with")) {
      return "must be one read-only SELECT statement (or WITH ... SELECT), got "
          + first.toUpperCase(Locale.ROOT);
    }
    for (Word w : words) {
      if (FORBIDDEN.contains(w.text)) {
        return "must be read-only: "
            + w.text.toUpperCase(Locale.ROOT)
            + " is not allowed (quote identifiers that use this word)";
      }
      if (w.text.equals("replace") && !w.call) {
        return "must be read-only: REPLACE statements are not allowed (the replace() function is)";
      }
    }
    return null;
  }

  private record Word(String text, boolean call) {}

  /**
   * Collects bare words outside literals/comments; returns an error for a second statement or
   * unterminated input.
   */
  private static String scan(String sql, List<Word> words) {
    int n = sql.length();
    int i = 0;
    boolean statementEnded = false;
    while (i < n) {
      char c = sql.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
        continue;
      }
      if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
        int nl = sql.indexOf('\n', i);
        i = nl < 0 ? n : nl + 1;
        continue;
      }
      if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
        int end = sql.indexOf("*/", i + 2);
        if (end < 0) {
          return "has an unterminated /* comment";
        }
        i = end + 2;
        continue;
      }
      if (statementEnded) {
        return "must be exactly one statement: nothing may follow ';'";
      }
      if (c == ';') {
        statementEnded = true;
        i++;
        continue;
      }
      if (c == '\'' || c == '"' || c == '`') {
        int end = closingQuote(sql, i, c);
        if (end < 0) {
          return "has an unterminated " + c + " quote";
        }
        i = end + 1;
        continue;
      }
      if (c == '[') {
        int end = sql.indexOf(']', i + 1);
        if (end < 0) {
          return "has an unterminated [ identifier";
        }
        i = end + 1;
        continue;
      }
      if (Character.isLetter(c) || c == '_') {
        int start = i;
        while (i < n
            && (Character.isLetterOrDigit(sql.charAt(i))
                || sql.charAt(i) == '_'
                || sql.charAt(i) == '$')) {
          i++;
        }
        String word = sql.substring(start, i).toLowerCase(Locale.ROOT);
        int j = i;
        while (j < n && Character.isWhitespace(sql.charAt(j))) {
          j++;
        }
        boolean call = j < n && sql.charAt(j) == '(';
        // A word right after '.' is a qualified name part (t.update), not a keyword.
        boolean qualified = start > 0 && sql.charAt(start - 1) == '.';
        if (!qualified) {
          words.add(new Word(word, call));
        }
        continue;
      }
      i++;
    }
    return null;
  }

  /** Index of the quote closing the one at {@code start}; doubled quotes are escapes. */
  private static int closingQuote(String sql, int start, char q) {
    int i = start + 1;
    while (i < sql.length()) {
      if (sql.charAt(i) == q) {
        if (i + 1 < sql.length() && sql.charAt(i + 1) == q) {
          i += 2;
          continue;
        }
        return i;
      }
      i++;
    }
    return -1;
  }
}
