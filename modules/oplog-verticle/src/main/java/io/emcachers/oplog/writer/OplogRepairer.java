package io.emcachers.oplog.writer;

import io.emcachers.core.bus.BusException;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.RepairReply;
import io.emcachers.core.messages.RepairRequest;
import io.emcachers.oplog.support.EventPublisher;
import io.emcachers.oplog.support.OplogMetrics;
import io.emcachers.oplog.writer.AppendBatchValidator.EncodedRepair;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Handles {@code emc.oplog.repair}: appends the entries of a verification's repair as synthetic
 * oplog rows ({@code synthetic = true}), each only if no row of the same {@code (entity, doc_id)}
 * has an id above the request's {@code head_before}.
 *
 * <p><b>Compare-and-set.</b> The check and the insert are ONE statement ({@code INSERT ... SELECT
 * FROM unnest(...) WHERE NOT EXISTS (SELECT 1 FROM oplog WHERE entity = $1 AND doc_id = t.doc_id
 * AND id > $2)}), so they share one transaction and one snapshot, and the whole request is one
 * batch whatever its size. A skipped document has a newer row: either the change that made the
 * cache differ is already on its way (the repair is not needed) or the source changed again after
 * the verifier read it (the repair would overwrite a newer value).
 *
 * <p><b>Why it runs on the {@link WriteQueue}.</b> The check only sees committed rows. If a repair
 * ran on a connection of its own, a stream append of the same document could take a lower id
 * (assigned before the repair's), still be uncommitted when the repair checks, and commit after the
 * repair row: the oplog would then hold the newer stream value BELOW the older repair value, and
 * every cache would end with the repair's stale value. On the queue, the repair is serialized with
 * every append, scan end and entity change of the one leader writer connection: nothing else writes
 * while its statement runs, every earlier write has committed, and every later one gets a higher
 * id. The same statement also reads the entity's status and epoch, which change only on the same
 * queue.
 *
 * <p><b>Refusals</b> (nothing written): NOT_FOUND when the entity is unknown or deleted; CONFLICT
 * when it is pending, scanning or failed (a scan is rewriting it or it needs one: verify again when
 * it is live); STALE when it is live at another epoch than the request's (non-zero) epoch (its
 * shape or generation changed since the entries were projected); BAD_REQUEST for a malformed
 * request or a {@code head_before} above the oplog head; STALE too when {@code head_before + 1} is
 * below the tombstone horizon (compaction may have removed a newer delete the check must see).
 * Entries that cannot be stored are rejected and listed; the rest are written.
 */
public final class OplogRepairer {

  private static final Logger LOG = LoggerFactory.getLogger(OplogRepairer.class);

  static final String REPAIR_SQL =
      """
      WITH target AS MATERIALIZED (
        SELECT status, epoch FROM entities WHERE name = $1::text
      ),
      head AS MATERIALIZED (
        SELECT coalesce(max(id), 0) AS head FROM oplog
      ),
      horizon AS MATERIALIZED (
        SELECT coalesce((SELECT (value->>'tombstone_horizon')::bigint FROM metadata WHERE key = 'compaction'), 0) AS th
      ),
      gate AS MATERIALIZED (
        SELECT EXISTS (SELECT 1 FROM target WHERE status = 'live'
                         AND ($6::bigint = 0 OR epoch = $6::bigint))
               AND $2::bigint <= (SELECT head FROM head)
               AND $2::bigint + 1 >= (SELECT th FROM horizon) AS ok
      ),
      input AS MATERIALIZED (
        SELECT t.ord, t.op, t.doc_id, t.data
        FROM unnest($3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS t(op, doc_id, data, ord)
        WHERE (SELECT ok FROM gate)
      ),
      applied AS (
        INSERT INTO oplog (op, entity, doc_id, data, synthetic)
        SELECT i.op, $1::text, i.doc_id, i.data::jsonb, true
        FROM input i
        WHERE NOT EXISTS (
          SELECT 1 FROM oplog o WHERE o.entity = $1::text AND o.doc_id = i.doc_id AND o.id > $2::bigint)
        ORDER BY i.ord
        RETURNING id, doc_id
      )
      SELECT (SELECT ok FROM gate) AS ok,
             (SELECT status FROM target) AS status,
             (SELECT epoch FROM target) AS epoch,
             (SELECT head FROM head) AS previous_head,
             (SELECT th FROM horizon) AS tombstone_horizon,
             (SELECT coalesce(array_agg(doc_id ORDER BY id), '{}'::text[]) FROM applied) AS applied,
             (SELECT coalesce(max(id), 0) FROM applied) AS last_id
      """;

  private final Vertx vertx;
  private final WriteQueue queue;
  private final AppendBatchValidator validator;
  private final OplogHead head;
  private final OplogMetrics metrics;
  private final EventPublisher events;

  public OplogRepairer(
      Vertx vertx,
      WriteQueue queue,
      int maxEntries,
      OplogHead head,
      OplogMetrics metrics,
      EventPublisher events) {
    this.vertx = vertx;
    this.queue = queue;
    this.validator = new AppendBatchValidator(maxEntries);
    this.head = head;
    this.metrics = metrics;
    this.events = events;
  }

  public Future<RepairReply> repair(RepairRequest request) {
    if (request == null) {
      throw BusException.badRequest("invalid repair request: the request is required");
    }
    if (request.headBefore() < 0) {
      throw BusException.badRequest(
          "invalid repair request: head_before must be >= 0, got " + request.headBefore());
    }
    EncodedRepair encoded =
        validator.validateRepair(request.entity(), request.epoch(), request.entries());
    return queue
        .submit("repair " + request.entity(), conn -> write(conn, request, encoded))
        .andThen(
            ar -> {
              if (ar.failed()) {
                return;
              }
              RepairReply r = ar.result();
              metrics.repaired(
                  request.entity(), r.applied().size(), r.skipped().size(), r.rejected().size());
              LOG.info(
                  "repair {} (head_before {}, reason: {}): {} applied, {} skipped (newer rows), {}"
                      + " rejected",
                  request.entity(),
                  request.headBefore(),
                  request.reason(),
                  r.applied().size(),
                  r.skipped().size(),
                  r.rejected().size());
              if (!r.rejected().isEmpty()) {
                LOG.warn(
                    "repair {}: {} entr(ies) cannot be stored and were skipped: {}",
                    request.entity(),
                    r.rejected().size(),
                    r.rejected().encode());
              }
              if (!r.applied().isEmpty()) {
                vertx.runOnContext(v -> events.oplogAppended(r.headId()));
              }
            });
  }

  private Future<RepairReply> write(SqlConnection conn, RepairRequest request, EncodedRepair e) {
    Tuple params =
        Tuple.of(request.entity(), request.headBefore(), e.ops(), e.docIds(), e.data())
            .addLong(request.epoch());
    return conn.preparedQuery(REPAIR_SQL)
        .execute(params)
        .map(
            rows -> {
              Row row = rows.iterator().next();
              long previousHead = row.getLong("previous_head");
              if (!row.getBoolean("ok")) {
                throw refusal(
                    request,
                    row.getString("status"),
                    row.getLong("epoch"),
                    previousHead,
                    row.getLong("tombstone_horizon"));
              }
              List<String> applied = Arrays.asList(row.getArrayOfStrings("applied"));
              Set<String> appliedSet = new HashSet<>(applied);
              List<String> skipped = new ArrayList<>();
              for (String docId : e.docIds()) {
                if (!appliedSet.contains(docId)) {
                  skipped.add(docId);
                }
              }
              long lastId = row.getLong("last_id");
              long headId = head.advance(Math.max(previousHead, lastId));
              return new RepairReply(applied, skipped, e.rejected(), lastId, headId);
            });
  }

  private static BusException refusal(
      RepairRequest request, String status, Long epoch, long previousHead, long tombstoneHorizon) {
    String entity = request.entity();
    if (status == null || status.equals("deleted")) {
      return BusException.notFound("entity " + entity + " not found (repair refused)");
    }
    if (!status.equals("live")) {
      return new BusException(
          ErrorCodes.CONFLICT,
          "repair of "
              + entity
              + " refused: the entity is "
              + status
              + ", only a live entity can be repaired (verify again once it is live)."
              + " Nothing was written");
    }
    if (request.epoch() != 0 && epoch != null && epoch != request.epoch()) {
      return new BusException(
          ErrorCodes.STALE,
          "repair of "
              + entity
              + " at epoch "
              + request.epoch()
              + " refused: the entity is live at epoch "
              + epoch
              + "; the entries were projected under another generation. Nothing was written");
    }
    if (request.headBefore() <= previousHead && request.headBefore() + 1 < tombstoneHorizon) {
      // a delete above head_before may have been compacted away: the newer-row check cannot see it
      return new BusException(
          ErrorCodes.STALE,
          "repair of "
              + entity
              + " refused: head_before "
              + request.headBefore()
              + " is below the oplog's tombstone horizon "
              + tombstoneHorizon
              + " (compaction may have removed newer deletes); verify again. Nothing was written");
    }
    return BusException.badRequest(
        "invalid repair request: head_before "
            + request.headBefore()
            + " is above the oplog head "
            + previousHead);
  }
}
