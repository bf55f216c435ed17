package io.emcachers.cache;

import io.emcachers.core.model.Column;
import io.emcachers.core.model.Shape;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The full-text table of a cache whose shape marks {@code search} columns (stable layout, users
 * query it with plain SQL):
 *
 * <ul>
 *   <li>{@code "<entity>_fts"}: an FTS5 table over the search columns, in shape order, with the
 *       same names, tokenizer {@code unicode61 remove_diacritics 2}. It is an external-content
 *       table ({@code content='<entity>'}): it keeps only the index, its {@code rowid} is the
 *       {@code rowid} of the row in {@code "<entity>"}, and {@code snippet()} / {@code highlight()}
 *       read the text from there.
 *   <li>Triggers {@code "<entity>_fts_ai"}, {@code _ad}, {@code _au} on {@code "<entity>"} keep it
 *       in step, inside the transaction that writes the row (so a batch and its search index commit
 *       together).
 * </ul>
 *
 * Built after a rebuild's bulk load in one pass ({@code 'rebuild'}); a new file without a bulk load
 * gets it at once.
 */
final class CacheSearch {

  static final String TOKENIZER = "unicode61 remove_diacritics 2";

  /** Snippet markers and size of {@link #query}. */
  static final String MARK_OPEN = "<mark>";

  static final String MARK_CLOSE = "</mark>";
  static final int SNIPPET_TOKENS = 16;

  private CacheSearch() {}

  static String table(String entity) {
    return entity + "_fts";
  }

  /**
   * Creates the table and its triggers and indexes the rows already there (caller's transaction).
   */
  static void createAll(Connection c, String entity, Shape shape) throws SQLException {
    List<Column> cols = shape.searchColumns();
    if (cols.isEmpty()) {
      return;
    }
    String fts = CacheSchema.quote(table(entity));
    String t = CacheSchema.quote(entity);
    String names =
        cols.stream().map(col -> CacheSchema.quote(col.name())).collect(Collectors.joining(", "));
    String news =
        cols.stream()
            .map(col -> "new." + CacheSchema.quote(col.name()))
            .collect(Collectors.joining(", "));
    String olds =
        cols.stream()
            .map(col -> "old." + CacheSchema.quote(col.name()))
            .collect(Collectors.joining(", "));
    String insertNew =
        "INSERT INTO " + fts + "(rowid, " + names + ") VALUES (new.rowid, " + news + ");";
    String deleteOld =
        "INSERT INTO "
            + fts
            + "("
            + fts
            + ", rowid, "
            + names
            + ") VALUES ('delete', old.rowid, "
            + olds
            + ");";
    try (Statement st = c.createStatement()) {
      st.execute(
          "CREATE VIRTUAL TABLE IF NOT EXISTS "
              + fts
              + " USING fts5("
              + names
              + ", content='"
              + entity
              + "', content_rowid='rowid', tokenize='"
              + TOKENIZER
              + "')");
      st.execute(trigger(entity, "ai", "AFTER INSERT", insertNew));
      st.execute(trigger(entity, "ad", "AFTER DELETE", deleteOld));
      st.execute(trigger(entity, "au", "AFTER UPDATE", deleteOld + " " + insertNew));
      st.execute("INSERT INTO " + fts + "(" + fts + ") VALUES ('rebuild')");
    }
  }

  private static String trigger(String entity, String suffix, String when, String body) {
    return "CREATE TRIGGER IF NOT EXISTS "
        + CacheSchema.quote(table(entity) + "_" + suffix)
        + " "
        + when
        + " ON "
        + CacheSchema.quote(entity)
        + " BEGIN "
        + body
        + " END";
  }

  /**
   * The search: parameters are the FTS5 query and the row limit; every column of the row, then
   * {@code _rank} (bm25, lower is better) and {@code _snippet}.
   */
  static String query(String entity) {
    String fts = CacheSchema.quote(table(entity));
    return "SELECT t.*, bm25("
        + fts
        + ") AS _rank, snippet("
        + fts
        + ", -1, '"
        + MARK_OPEN
        + "', '"
        + MARK_CLOSE
        + "', '…', "
        + SNIPPET_TOKENS
        + ") AS _snippet FROM "
        + fts
        + " JOIN "
        + CacheSchema.quote(entity)
        + " t ON t.rowid = "
        + fts
        + ".rowid WHERE "
        + fts
        + " MATCH ? ORDER BY _rank, t."
        + CacheSchema.quote(CacheSchema.DOC_ID)
        + " LIMIT ?";
  }
}
