package io.emcachers.oplog.writer;

import io.emcachers.core.bus.BusException;
import io.emcachers.core.bus.ErrorCodes;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendResult;
import io.emcachers.oplog.support.EventPublisher;
import io.emcachers.oplog.support.OplogMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Handles {@code emc.oplog.append}: validates the batch, then writes its entries and its progress
 * (the stream's resume token, or the scan progress of the scanned entity) in ONE statement, so they
 * commit atomically without extra round trips. The statement is a multi-row {@code INSERT ...
 * SELECT FROM unnest($1::text[], ...) WITH ORDINALITY ... ORDER BY ord}: ids are assigned in batch
 * order, and routing (oplog, staging, dropped) joins the entity's status as of the same snapshot.
 * It runs on the {@link WriteQueue}, one transaction at a time.
 */
public final class OplogWriter {

  private static final Logger LOG = LoggerFactory.getLogger(OplogWriter.class);

  /** Metadata key of the resume-token map {@code {stream: token}}. */
  public static final String RESUME_TOKEN_KEY = "mongo_resume_token";

  /**
   * Metadata key of the per-stream committed cluster-time high-water mark {@code {stream: time}}.
   */
  public static final String CLUSTER_TIME_KEY = "stream_cluster_time";

  /** Metadata key prefix of an entity's scan progress. */
  public static final String SCAN_PROGRESS_PREFIX = "scan_progress:";

  /**
   * The batch's fencing check, in the same statement as its writes: a batch stamped with a leader
   * epoch ($9, 0 = not stamped) writes nothing unless the lease row of lock key $10 is at exactly
   * that epoch, so a batch of a deposed leader's term is refused by the database state.
   */
  static final String FENCE =
      "SELECT $9::bigint = 0 OR EXISTS (SELECT 1 FROM leader_lease WHERE lock_key = $10::bigint AND epoch = $9::bigint) AS ok";

  static final String INPUT =
      "unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS t(op, entity, doc_id, data, ord)";
  static final String STREAM_INPUT =
      "unnest($1::text[], $2::text[], $3::text[], $4::text[], $8::bigint[], $11::bigint[]) WITH ORDINALITY AS t(op, entity, doc_id, data, epoch, cluster_time, ord)";

  /**
   * kind=stream: live/failed entities → oplog, pending/scanning → staging (with the entity's
   * epoch), unknown/deleted → dropped; an entry of another epoch than its entity's current one ($8,
   * 0 = unchecked) → dropped and counted as stale; token merged. {@code guard} is the batch's
   * precondition ($7 = {@code {"v": expected token}} or null): when the stored token of the stream
   * differs from the expected one, nothing is written. Each row keeps its entry's source cluster
   * time ($11); the batch's position cluster time ($12, null: none) raises the stream's high-water
   * mark in {@code stream_cluster_time}, never lowering it, in the same statement as the token.
   */
  static final String APPEND_STREAM_SQL =
      """
      WITH fence AS MATERIALIZED (%s),
      guard AS MATERIALIZED (
        SELECT (SELECT ok FROM fence) AND ($7::text IS NULL
            OR ((SELECT value -> $5::text FROM metadata WHERE key = '%s')
                IS NOT DISTINCT FROM nullif($7::text::jsonb -> 'v', 'null'::jsonb))) AS ok
      ),
      input AS MATERIALIZED (
        SELECT t.ord, t.op, t.entity, t.doc_id, t.data, t.cluster_time, e.status, e.epoch AS current_epoch,
               (t.epoch = 0 OR t.epoch = e.epoch) AS current
        FROM %s
        LEFT JOIN entities e ON e.name = t.entity
        WHERE (SELECT ok FROM guard)
      ),
      to_oplog AS (
        INSERT INTO oplog (op, entity, doc_id, data, cluster_time)
        SELECT op, entity, doc_id, data::jsonb, cluster_time FROM input WHERE status IN ('live', 'failed') AND current ORDER BY ord
        RETURNING id
      ),
      to_staging AS (
        INSERT INTO oplog_staging (entity, op, doc_id, data, epoch, cluster_time)
        SELECT entity, op, doc_id, data::jsonb, current_epoch, cluster_time FROM input WHERE status IN ('pending', 'scanning') AND current ORDER BY ord
        RETURNING seq
      ),
      token AS (
        INSERT INTO metadata (key, value)
        SELECT '%s', jsonb_build_object($5::text, $6::text::jsonb)
        WHERE $6::text IS NOT NULL AND (SELECT ok FROM guard)
        ON CONFLICT (key) DO UPDATE SET value = metadata.value || EXCLUDED.value
        RETURNING value
      ),
      high_water AS (
        INSERT INTO metadata (key, value)
        SELECT '%s', jsonb_build_object($5::text, $12::bigint)
        WHERE $12::bigint IS NOT NULL AND $5::text IS NOT NULL AND (SELECT ok FROM guard)
        ON CONFLICT (key) DO UPDATE SET value = metadata.value || jsonb_build_object($5::text,
          greatest(coalesce((metadata.value ->> $5::text)::bigint, $12::bigint), $12::bigint))
        RETURNING value
      )
      SELECT (SELECT count(*) FROM to_oplog) AS appended,
             (SELECT coalesce(max(id), 0) FROM to_oplog) AS last_id,
             (SELECT count(*) FROM to_staging) AS staged,
             (SELECT count(*) FROM high_water) AS high_water_moved,
             (SELECT coalesce(max(id), 0) FROM oplog) AS previous_head,
             ((coalesce((SELECT value FROM token), (SELECT value FROM metadata WHERE key = '%s'))) -> $5::text)::text AS token,
             (SELECT ok FROM guard) AS guard_ok,
             (SELECT ok FROM fence) AS fence_ok,
             (SELECT count(*) FROM input WHERE status <> 'deleted' AND NOT current) AS stale
      """
          .formatted(
              FENCE,
              RESUME_TOKEN_KEY,
              STREAM_INPUT,
              RESUME_TOKEN_KEY,
              CLUSTER_TIME_KEY,
              RESUME_TOKEN_KEY);

  /**
   * kind=scan: rows of a non-deleted entity → oplog; its scan progress stored (with the attempt's
   * epoch); unknown/deleted → dropped. With a scan epoch ($8 > 0) nothing is written unless the
   * entity is scanning at exactly that epoch ({@code target_ok = 0}: the caller fails the batch).
   */
  static final String APPEND_SCAN_SQL =
      """
      WITH fence AS MATERIALIZED (%s),
      target AS (
        SELECT name FROM entities WHERE (SELECT ok FROM fence) AND name = $5::text AND status <> 'deleted'
          AND ($8::bigint = 0 OR (status = 'scanning' AND epoch = $8::bigint))
      ),
      to_oplog AS (
        INSERT INTO oplog (op, entity, doc_id, data)
        SELECT t.op, t.entity, t.doc_id, t.data::jsonb
        FROM %s
        WHERE EXISTS (SELECT 1 FROM target)
        ORDER BY t.ord
        RETURNING id
      ),
      progress AS (
        INSERT INTO metadata (key, value)
        SELECT '%s' || $5::text, jsonb_build_object('last_id', $6::text::jsonb, 'scanned', $7::bigint, 'epoch', $8::bigint)
        WHERE EXISTS (SELECT 1 FROM target)
        ON CONFLICT (key) DO UPDATE SET value = jsonb_build_object(
          'last_id', EXCLUDED.value -> 'last_id',
          'scanned', coalesce((metadata.value ->> 'scanned')::bigint, 0) + (EXCLUDED.value ->> 'scanned')::bigint,
          'epoch', $8::bigint)
        RETURNING value
      )
      SELECT (SELECT count(*) FROM to_oplog) AS appended,
             (SELECT coalesce(max(id), 0) FROM to_oplog) AS last_id,
             0::bigint AS staged,
             (SELECT coalesce(max(id), 0) FROM oplog) AS previous_head,
             NULL::text AS token,
             (SELECT count(*) FROM progress) AS progress_rows,
             (SELECT count(*) FROM target) AS target_ok,
             (SELECT ok FROM fence) AS fence_ok,
             (SELECT status || ' at epoch ' || epoch FROM entities WHERE name = $5::text) AS current_state
      """
          .formatted(FENCE, INPUT, SCAN_PROGRESS_PREFIX);

  private final Vertx vertx;
  private final WriteQueue queue;
  private final AppendBatchValidator validator;
  private final OplogHead head;
  private final OplogMetrics metrics;
  private final EventPublisher events;
  private final LeaderFence fence;

  public OplogWriter(
      Vertx vertx,
      WriteQueue queue,
      int maxBatchEntries,
      OplogHead head,
      OplogMetrics metrics,
      EventPublisher events,
      LeaderFence fence) {
    this.fence = fence;
    this.vertx = vertx;
    this.queue = queue;
    this.validator = new AppendBatchValidator(maxBatchEntries);
    this.head = head;
    this.metrics = metrics;
    this.events = events;
  }

  /**
   * Validates and appends {@code batch}; completes with the ack once committed, then publishes
   * {@code OplogAppended} (when oplog rows were written). Fails BAD_REQUEST (nothing written) on
   * invalid input, UNAVAILABLE when this node cannot write right now.
   */
  public Future<AppendResult> append(AppendBatch batch) {
    return append(batch, 0);
  }

  /**
   * As {@link #append(AppendBatch)}, fenced: a batch stamped with {@code leaderEpoch} (> 0) fails
   * NOT_LEADER, nothing written, unless it is this node's current term, checked here and again by
   * the database in the batch's own statement.
   */
  public Future<AppendResult> append(AppendBatch batch, long leaderEpoch) {
    EncodedBatch encoded = validator.validateAndEncode(batch);
    long start = System.nanoTime();
    Future<AppendResult> result =
        fence
            .checkLocal(leaderEpoch)
            .compose(v -> queue.submit("append", conn -> write(conn, encoded, leaderEpoch)));
    return result.andThen(
        ar -> {
          if (ar.failed()) {
            metrics.batchFailed();
            return;
          }
          AppendResult r = ar.result();
          int dropped = encoded.size() - r.appended() - r.staged() - r.stale();
          metrics.batchCommitted(
              Duration.ofNanos(System.nanoTime() - start),
              encoded.perEntityOp(),
              r.appended(),
              r.staged(),
              dropped);
          if (dropped > 0) {
            LOG.debug("append: dropped {} entr(ies) of unknown or deleted entities", dropped);
          }
          if (r.stale() > 0) {
            metrics.staleEntries(r.stale());
            LOG.debug(
                "append: dropped {} entr(ies) projected under an older epoch of their entity",
                r.stale());
          }
          if (!r.rejected().isEmpty()) {
            metrics.rejectedEntries(r.rejected().size());
            LOG.warn(
                "append: {} entr(ies) cannot be stored and were skipped (the rest committed): {}",
                r.rejected().size(),
                r.rejected().encode());
          }
          if (r.appended() > 0 || encoded.batchClusterTime() != null) {
            // after the reply (the ack) has been sent; also when only the stream's cluster time
            // moved (an idle checkpoint), so read-your-writes waits re-check at once
            vertx.runOnContext(v -> events.oplogAppended(r.headId()));
          }
        });
  }

  private Future<AppendResult> write(SqlConnection conn, EncodedBatch b, long leaderEpoch) {
    boolean scan = b.scan();
    Tuple params = Tuple.of(b.ops(), b.entities(), b.docIds(), b.data());
    if (scan) {
      params
          .addString(b.scanEntity())
          .addString(b.scanLastIdJson())
          .addLong((long) b.size())
          .addLong(b.scanEpoch());
    } else {
      params
          .addString(b.stream())
          .addString(b.resumeTokenJson())
          .addString(b.expectedTokenJson())
          .addArrayOfLong(b.epochs());
    }
    params.addLong(leaderEpoch).addLong(fence.lockKey());
    if (!scan) {
      params.addArrayOfLong(b.clusterTimes()).addLong(b.batchClusterTime());
    }
    return conn.preparedQuery(scan ? APPEND_SCAN_SQL : APPEND_STREAM_SQL)
        .execute(params)
        .map(
            rows -> {
              Row row = rows.iterator().next();
              if (!row.getBoolean("fence_ok")) {
                throw LeaderFence.stale(leaderEpoch, "append");
              }
              if (!scan && !row.getBoolean("guard_ok")) {
                throw new BusException(
                    ErrorCodes.CONFLICT,
                    "stream "
                        + b.stream()
                        + ": the stored resume token is "
                        + row.getString("token")
                        + ", not the one this batch follows ("
                        + b.expectedTokenJson()
                        + "); an earlier batch of the stream did not commit. Nothing was written");
              }
              if (scan && b.scanEpoch() > 0 && row.getLong("target_ok") == 0) {
                String current = row.getString("current_state");
                if (current == null || current.startsWith("deleted")) {
                  throw BusException.notFound(
                      "entity "
                          + b.scanEntity()
                          + " not found (scan batch of epoch "
                          + b.scanEpoch()
                          + " dropped)");
                }
                throw new BusException(
                    ErrorCodes.STALE,
                    "scan batch of "
                        + b.scanEntity()
                        + " at epoch "
                        + b.scanEpoch()
                        + " refused: the entity is "
                        + current
                        + "; a newer scan attempt or shape owns it. Nothing was written");
              }
              int appended = (int) (long) row.getLong("appended");
              long lastId = row.getLong("last_id");
              int staged = (int) (long) row.getLong("staged");
              long headId = head.advance(Math.max(row.getLong("previous_head"), lastId));
              JsonObject token = parseToken(row.getString("token"));
              int stale = scan ? 0 : (int) (long) row.getLong("stale");
              return new AppendResult(
                  lastId, headId, appended, staged, b.stream(), token, b.rejected(), stale);
            });
  }

  private static JsonObject parseToken(String text) {
    if (text == null) {
      return null;
    }
    try {
      return new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      throw new BusException(
          ErrorCodes.INTERNAL, "stored resume token is not a JSON object: " + text);
    }
  }
}
