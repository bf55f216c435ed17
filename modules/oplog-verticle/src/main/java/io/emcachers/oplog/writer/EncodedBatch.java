package io.emcachers.oplog.writer;

import io.emcachers.oplog.support.OplogMetrics.EntityOp;
import java.util.Map;

/**
 * A validated {@code AppendBatch} as the column arrays of one multi-row insert
 * ({@code unnest($1::text[], ...)}); {@code data} holds JSON text (null for deletes without data).
 * {@code expectedTokenJson} is the {@code {"v": token}} precondition of a stream batch, or null.
 */
public record EncodedBatch(
    String kind,
    String stream,
    String resumeTokenJson,
    String scanEntity,
    String scanLastIdJson,
    String[] ops,
    String[] entities,
    String[] docIds,
    String[] data,
    Map<EntityOp, Integer> perEntityOp,
    String expectedTokenJson) {

  public int size() {
    return ops.length;
  }
}
