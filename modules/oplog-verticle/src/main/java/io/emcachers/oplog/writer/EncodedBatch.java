package io.emcachers.oplog.writer;

import io.emcachers.oplog.support.OplogMetrics.EntityOp;
import java.util.Map;

/**
 * A validated {@code AppendBatch} as the column arrays of one multi-row insert ({@code
 * unnest($1::text[], ...)}); {@code data} holds JSON text (null for deletes without data). {@code
 * scan} tells a {@code ScanBatch} (scan progress columns) from a {@code StreamBatch} (stream and
 * resume token columns). {@code expectedTokenJson} is the {@code {"v": token}} precondition of a
 * stream batch, or null. {@code epochs} holds each entry's epoch (0: unchecked); {@code rejected}
 * the entries the validator skipped because they cannot be stored ({@code {"index", "entity",
 * "doc_id", "reason"}}). {@code clusterTimes} holds each entry's source cluster time (null: none)
 * and {@code batchClusterTime} the cluster time of the stream position the batch commits (null:
 * none; always null for a scan batch).
 */
public record EncodedBatch(
    boolean scan,
    String stream,
    String resumeTokenJson,
    String scanEntity,
    String scanLastIdJson,
    String[] ops,
    String[] entities,
    String[] docIds,
    String[] data,
    Map<EntityOp, Integer> perEntityOp,
    String expectedTokenJson,
    Long[] epochs,
    long scanEpoch,
    io.vertx.core.json.JsonArray rejected,
    Long[] clusterTimes,
    Long batchClusterTime) {

  public int size() {
    return ops.length;
  }
}
