package io.emcachers.oplog;

import io.emcachers.core.bus.BusException;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.CompactedReadRequest;
import io.emcachers.core.messages.LatestRowsReply;
import io.emcachers.core.messages.LatestRowsRequest;
import io.emcachers.core.messages.OplogReadReply;
import io.emcachers.core.messages.OplogReadRequest;
import io.emcachers.core.model.Operation;
import io.emcachers.core.model.Oplog;
import io.emcachers.oplog.compaction.CompactionStore;
import io.emcachers.oplog.support.PgErrors;
import io.emcachers.oplog.writer.OplogHead;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code emc.oplog.read}: rows with {@code id > after} in id order, at most {@code limit} (capped
 * at {@code oplog.read_max_rows}), optionally only some entities, plus the head id, from one
 * statement (one snapshot). Uses the read pool, so it works on standby nodes too. Because the
 * leader commits its transactions one at a time, a row that is not visible yet always gets an id
 * above every visible one: reading {@code id > next_after} never skips a row.
 */
final class OplogReader {

  /*
   * The lateral subquery returns its rows in id order (ORDER BY id LIMIT), and the one-row head
   * side keeps that order in the nested loop; an outer ORDER BY o.id sorted every page again (about
   * 1 ms of the 2.5 ms a 2,000-row page took in PostgreSQL). The reply is still guaranteed to be in
   * id order: read() checks it and sorts only if a plan ever returned another order.
   */
  private static final String ROWS =
      "SELECT id, op, entity, doc_id, created_at, data, synthetic, cluster_time FROM oplog WHERE id > $1";

  static final String READ_ALL_SQL =
      """
      SELECT h.head, h.cb, o.id, o.op, o.entity, o.doc_id, o.created_at, o.data, o.synthetic, o.cluster_time
      FROM (SELECT coalesce(max(id), 0) AS head, %s AS cb FROM oplog) h
      LEFT JOIN LATERAL (%s ORDER BY id LIMIT $2) o ON true
      """
          .formatted(CompactionStore.COMPACTED_BELOW_SQL, ROWS);

  static final String READ_ENTITIES_SQL =
      """
      SELECT h.head, h.cb, o.id, o.op, o.entity, o.doc_id, o.created_at, o.data, o.synthetic, o.cluster_time
      FROM (SELECT coalesce(max(id), 0) AS head, %s AS cb FROM oplog) h
      LEFT JOIN LATERAL (%s AND entity = ANY($3::text[]) ORDER BY id LIMIT $2) o ON true
      """
          .formatted(CompactionStore.COMPACTED_BELOW_SQL, ROWS);

  /**
   * One entity (rebuilds, per-entity API reads): the scalar {@code entity = $3} lets PostgreSQL
   * walk the {@code (entity, id)} index in order and stop after LIMIT rows, whatever the statistics
   * say; the {@code = ANY} form can fall back to a bitmap scan plus sort of every matching row
   * (measured by the benchmark: 280 ms vs 0.7 ms per 2,000-row page on a freshly loaded, unanalysed
   * oplog).
   */
  static final String READ_ONE_ENTITY_SQL =
      """
      SELECT h.head, h.cb, o.id, o.op, o.entity, o.doc_id, o.created_at, o.data, o.synthetic, o.cluster_time
      FROM (SELECT coalesce(max(id), 0) AS head, %s AS cb FROM oplog) h
      LEFT JOIN LATERAL (%s AND entity = $3 ORDER BY id LIMIT $2) o ON true
      """
          .formatted(CompactionStore.COMPACTED_BELOW_SQL, ROWS);

  /** Cap of {@code LatestRowsRequest.doc_ids}. */
  public static final int LATEST_MAX_DOC_IDS = 1000;

  static final String LATEST_SQL =
      """
      SELECT DISTINCT ON (doc_id) id, op, entity, doc_id, created_at, data, synthetic, cluster_time
      FROM oplog
      WHERE entity = $1 AND doc_id = ANY($2::text[])
      ORDER BY doc_id, id DESC
      """;

  private final Pool pool;
  private final int maxRows;
  private final OplogHead head;

  public OplogReader(Pool pool, int maxRows, OplogHead head) {
    this.pool = pool;
    this.maxRows = maxRows;
    this.head = head;
  }

  /**
   * {@code emc.oplog.latest}: for each requested doc id the entity's row with the highest id, if
   * any ({@code SELECT DISTINCT ON (doc_id) ... ORDER BY doc_id, id DESC}). The oplog has no index
   * on {@code doc_id} on purpose (one cost about 30% of ingest throughput), so this reads the
   * entity's rows through the {@code (entity, id)} index and filters them: its cost grows with the
   * entity's oplog, not with the number of doc ids. It is meant for the few documents a
   * verification found differing, at most {@link #LATEST_MAX_DOC_IDS} per request (BAD_REQUEST
   * above). Runs on the read pool (standbys too), behind the {@code postgresql} breaker.
   */
  public Future<LatestRowsReply> latest(LatestRowsRequest request) {
    if (request == null || request.entity() == null || request.entity().isBlank()) {
      throw BusException.badRequest("entity is required");
    }
    List<String> docIds = request.docIds();
    if (docIds == null) {
      throw BusException.badRequest("doc_ids is required");
    }
    if (docIds.size() > LATEST_MAX_DOC_IDS) {
      throw BusException.badRequest(
          "doc_ids has "
              + docIds.size()
              + " ids, more than "
              + LATEST_MAX_DOC_IDS
              + " (the read walks the entity's rows: ask for the few differing documents)");
    }
    for (String id : docIds) {
      if (id == null || id.indexOf('\0') >= 0 || request.entity().indexOf('\0') >= 0) {
        throw BusException.badRequest("doc_ids must not contain null or NUL characters");
      }
    }
    if (docIds.isEmpty()) {
      return Future.succeededFuture(new LatestRowsReply(List.of()));
    }
    return pool.preparedQuery(LATEST_SQL)
        .execute(Tuple.of(request.entity()).addArrayOfString(docIds.toArray(String[]::new)))
        .map(
            rows -> {
              List<Oplog> list = new ArrayList<>(rows.size());
              for (Row row : rows) {
                list.add(toOplog(row, 0));
              }
              return new LatestRowsReply(list);
            })
        .recover(e -> Future.failedFuture(PgErrors.toBus("read latest oplog rows", e)));
  }

  /**
   * The row whose {@code id} column is at position {@code at}, followed by op, entity, doc_id,
   * created_at, data, synthetic and cluster_time (every read statement here selects them in this
   * order). Read by position: a lookup by name searched the column names for each of the ~10 values
   * of every row (measured by the benchmark's bootstrap profile: the top frame of the read).
   */
  private static Oplog toOplog(Row row, int at) {
    OffsetDateTime created = row.getOffsetDateTime(at + 4);
    Object data = row.getValue(at + 5);
    Boolean synthetic = row.getBoolean(at + 6);
    return new Oplog(
        row.getLong(at),
        operation(row.getString(at + 1)),
        row.getString(at + 3),
        created == null ? null : created.toInstant(),
        row.getString(at + 2),
        data instanceof JsonObject o ? o : null,
        synthetic != null && synthetic,
        row.getLong(at + 7));
  }

  private static Operation operation(String op) {
    return switch (op) {
      case "Upsert" -> Operation.Upsert;
      case "Delete" -> Operation.Delete;
      default -> Operation.valueOf(op);
    };
  }

  /**
   * {@code emc.oplog.read}: fails {@link ErrorCodes#COMPACTED} when {@code after > 0} and {@code
   * after + 1 < compacted_below} (checked in the same statement, one snapshot, as the rows):
   * history the reader asks for may have been compacted away.
   */
  public Future<OplogReadReply> read(OplogReadRequest request) {
    return read(request.after(), request.limit(), request.entities(), true);
  }

  /** {@code emc.oplog.read.compacted}: the same rows, never COMPACTED (the compacted state). */
  public Future<OplogReadReply> readCompacted(CompactedReadRequest request) {
    return read(request.after(), request.limit(), request.entities(), false);
  }

  /** The text of COMPACTED: what the client does next, and the bound it can parse. */
  static String compactedText(long after, long compactedBelow) {
    return "oplog history after id "
        + after
        + " is compacted (compacted_below="
        + compactedBelow
        + "): below id "
        + compactedBelow
        + " only the latest row of each document is kept. Re-read from the start of the compacted"
        + " state (after = 0, paging with emc.oplog.read.compacted), replace what was built from"
        + " the older history, then continue from its next_after";
  }

  private Future<OplogReadReply> read(
      long after, int requestedLimit, List<String> entities, boolean checkCompacted) {
    if (after < 0) {
      throw BusException.badRequest("after must be >= 0, got " + after);
    }
    if (requestedLimit < 1) {
      throw BusException.badRequest("limit must be >= 1, got " + requestedLimit);
    }
    int limit = Math.min(requestedLimit, maxRows);
    Future<io.vertx.sqlclient.RowSet<Row>> query;
    if (entities == null) {
      query = pool.preparedQuery(READ_ALL_SQL).execute(Tuple.of(after, limit));
    } else {
      if (entities.stream().anyMatch(e -> e == null)) {
        throw BusException.badRequest("entities must not contain null");
      }
      query =
          entities.size() == 1
              ? pool.preparedQuery(READ_ONE_ENTITY_SQL)
                  .execute(Tuple.of(after, limit, entities.get(0)))
              : pool.preparedQuery(READ_ENTITIES_SQL)
                  .execute(Tuple.of(after, limit, entities.toArray(String[]::new)));
    }
    return query
        .map(
            rows -> {
              List<Oplog> list = new ArrayList<>(rows.size());
              long headId = 0;
              long nextAfter = after;
              boolean ordered = true;
              for (Row row : rows) {
                headId = row.getLong(0); // head, cb, then the row from id on
                long compactedBelow = row.getLong(1);
                if (checkCompacted && after > 0 && after + 1 < compactedBelow) {
                  throw new BusException(
                      ErrorCodes.COMPACTED, compactedText(after, compactedBelow));
                }
                Long id = row.getLong(2);
                if (id == null) {
                  continue;
                }
                list.add(toOplog(row, 2));
                ordered &= id > nextAfter;
                nextAfter = Math.max(nextAfter, id);
              }
              if (!ordered) {
                list.sort(java.util.Comparator.comparingLong(Oplog::id));
              }
              head.advance(headId);
              return new OplogReadReply(list, headId, nextAfter);
            })
        .recover(e -> Future.failedFuture(PgErrors.toBus("read oplog", e)));
  }
}
