package io.emcachers.oplog.writer;

import io.emcachers.core.bus.BusException;
import io.emcachers.core.messages.AppendBatch;
import io.emcachers.core.messages.AppendBatch.ScanBatch;
import io.emcachers.core.messages.AppendBatch.StreamBatch;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.core.model.Operation;
import io.emcachers.oplog.support.OplogMetrics.EntityOp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks an {@code AppendBatch} completely before anything is written and encodes it into column
 * arrays. A problem of the batch itself (size, token, scan entity) fails the whole batch with
 * BAD_REQUEST. A problem of one entry (no doc id, a NUL that PostgreSQL cannot store, an upsert
 * without data...) can never be fixed by retrying, so that entry is rejected — left out, and listed
 * with its doc id and reason in the ack — while the rest of the batch and its position commit.
 * Repair requests are checked by {@link RepairValidator}, with the same entry checks.
 */
public final class AppendBatchValidator {

  private final int maxEntries;

  public AppendBatchValidator(int maxEntries) {
    this.maxEntries = maxEntries;
  }

  /**
   * Validates {@code batch}; throws {@link BusException} BAD_REQUEST on the first problem found.
   */
  public EncodedBatch validateAndEncode(AppendBatch batch) {
    if (batch == null) {
      throw bad("the batch is required");
    }
    List<OplogEntry> entries = batch.entries();
    if (entries == null) {
      throw bad("entries is required");
    }
    if (entries.size() > maxEntries) {
      throw bad(
          "batch has "
              + entries.size()
              + " entries, more than oplog.max_batch_entries ("
              + maxEntries
              + ")");
    }
    String scanEntity = null;
    String tokenJson = null;
    String scanLastIdJson = null;
    if (batch instanceof ScanBatch scan) {
      if (blank(scan.entity())) {
        throw bad("scan_entity is required for a scan batch");
      }
      checkText("scan_entity", scan.entity());
      if (scan.lastId() == null) {
        throw bad("scan_last_id is required for a scan batch");
      }
      scanEntity = scan.entity();
      scanLastIdJson = encodeJson("scan_last_id", scan.lastId());
    } else if (batch instanceof StreamBatch stream && stream.resumeToken() != null) {
      if (blank(stream.stream())) {
        throw bad("stream is required when resume_token is set");
      }
      checkText("stream", stream.stream());
      tokenJson = encodeJson("resume_token", stream.resumeToken());
    }

    int n = entries.size();
    List<String> ops = new ArrayList<>(n);
    List<String> names = new ArrayList<>(n);
    List<String> docIds = new ArrayList<>(n);
    List<String> data = new ArrayList<>(n);
    List<Long> epochs = new ArrayList<>(n);
    List<Long> clusterTimes = new ArrayList<>(n);
    JsonArray rejected = new JsonArray();
    Map<EntityOp, Integer> perEntityOp = new HashMap<>();
    for (int i = 0; i < n; i++) {
      OplogEntry e = entries.get(i);
      String at = "entries[" + i + "]";
      if (e != null && scanEntity != null && e.entity() != null && !e.entity().equals(scanEntity)) {
        throw bad(
            at + ".entity must be the scan entity '" + scanEntity + "', got '" + e.entity() + "'");
      }
      Encoded encoded = encodeEntry(e, i, rejected);
      if (encoded == null) {
        continue;
      }
      ops.add(e.operation().name());
      names.add(e.entity());
      docIds.add(e.docId());
      data.add(encoded.json());
      epochs.add(e.epoch());
      clusterTimes.add(e.clusterTime());
      perEntityOp.merge(new EntityOp(e.entity(), e.operation().name()), 1, Integer::sum);
    }
    String[] columnsOps = ops.toArray(String[]::new);
    String[] columnsEntities = names.toArray(String[]::new);
    String[] columnsDocIds = docIds.toArray(String[]::new);
    String[] columnsData = data.toArray(String[]::new);
    if (batch instanceof ScanBatch scan) {
      return new EncodedBatch(
          true,
          null,
          null,
          scanEntity,
          scanLastIdJson,
          columnsOps,
          columnsEntities,
          columnsDocIds,
          columnsData,
          perEntityOp,
          null,
          epochs.toArray(Long[]::new),
          scan.epoch(),
          rejected,
          clusterTimes.toArray(Long[]::new),
          null);
    }
    StreamBatch stream = (StreamBatch) batch; // AppendBatch is sealed: the only other kind
    return new EncodedBatch(
        false,
        stream.stream(),
        tokenJson,
        null,
        null,
        columnsOps,
        columnsEntities,
        columnsDocIds,
        columnsData,
        perEntityOp,
        stream.expectedToken() == null
            ? null
            : encodeJson("expected_token", stream.expectedToken()),
        epochs.toArray(Long[]::new),
        0L,
        rejected,
        clusterTimes.toArray(Long[]::new),
        stream.clusterTime());
  }

  /**
   * The entries of a {@code RepairRequest}, validated as append entries are ({@link
   * RepairValidator}; such entries are rejected, listed in {@code rejected}); problems of the
   * request itself fail it with BAD_REQUEST.
   */
  public EncodedRepair validateRepair(String entity, long epoch, List<OplogEntry> entries) {
    return RepairValidator.validate(maxEntries, entity, epoch, entries);
  }

  /**
   * A validated repair request as column arrays ({@code data}: JSON text, null for deletes) plus
   * the rejected entries.
   */
  public record EncodedRepair(
      String entity, String[] ops, String[] docIds, String[] data, JsonArray rejected) {
    public int size() {
      return ops.length;
    }
  }

  /** An entry's data as JSON text (null: no data). */
  record Encoded(String json) {}

  /**
   * {@code e}'s data encoded, or null after adding {@code e} (index {@code i}) with its reason to
   * {@code rejected} when it is invalid.
   */
  static Encoded encodeEntry(OplogEntry e, int i, JsonArray rejected) {
    String at = "entries[" + i + "]";
    String problem = entryProblem(e);
    String encoded = null;
    if (problem == null && e.data() != null) {
      try {
        encoded = encodeJson(at + ".data", e.data());
      } catch (BusException ex) {
        problem = ex.getMessage().replace("invalid append batch: " + at + ".", "");
      }
    }
    if (problem != null) {
      rejected.add(
          new JsonObject()
              .put("index", i)
              .put("entity", e == null ? null : e.entity())
              .put("doc_id", e == null ? null : e.docId())
              .put("reason", problem));
      return null;
    }
    return new Encoded(encoded);
  }

  /** Why {@code e} cannot be stored, or null. */
  static String entryProblem(OplogEntry e) {
    if (e == null) {
      return "the entry is null";
    }
    if (e.operation() == null) {
      return "operation is required (Upsert or Delete)";
    }
    if (blank(e.entity())) {
      return "entity is required";
    }
    if (e.entity().indexOf('\0') >= 0) {
      return "entity contains a NUL character, which PostgreSQL text cannot store";
    }
    if (e.docId() == null || e.docId().isEmpty()) {
      return "doc_id is required";
    }
    if (e.docId().indexOf('\0') >= 0) {
      return "doc_id contains a NUL character, which PostgreSQL text cannot store";
    }
    if (e.operation() == Operation.Upsert && e.data() == null) {
      return "an Upsert needs data (the projected document)";
    }
    if (e.epoch() < 0) {
      return "epoch must be >= 0, got " + e.epoch();
    }
    return null;
  }

  private static String encodeJson(String field, JsonObject json) {
    String text;
    try {
      text = json.encode();
    } catch (RuntimeException ex) {
      throw bad(field + " cannot be encoded as JSON: " + ex.getMessage());
    }
    // PostgreSQL jsonb cannot store U+0000; the escape only appears in the text when some string
    // holds it.
    if (text.contains("\\u0000") && containsNul(json)) {
      throw bad(field + " contains a NUL character (\\u0000), which PostgreSQL jsonb cannot store");
    }
    return text;
  }

  private static boolean containsNul(Object value) {
    if (value instanceof String s) {
      return s.indexOf('\0') >= 0;
    }
    if (value instanceof JsonObject obj) {
      for (Map.Entry<String, Object> entry : obj) {
        if (entry.getKey().indexOf('\0') >= 0 || containsNul(entry.getValue())) {
          return true;
        }
      }
      return false;
    }
    if (value instanceof JsonArray arr) {
      for (Object o : arr) {
        if (containsNul(o)) {
          return true;
        }
      }
      return false;
    }
    if (value instanceof Map<?, ?> map) {
      return containsNul(new JsonObject(castMap(map)));
    }
    if (value instanceof List<?> list) {
      return containsNul(new JsonArray(list));
    }
    return false;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Map<?, ?> map) {
    return (Map<String, Object>) map;
  }

  private static void checkText(String field, String value) {
    if (value.indexOf('\0') >= 0) {
      throw bad(field + " contains a NUL character, which PostgreSQL text cannot store");
    }
  }

  static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static BusException bad(String message) {
    return BusException.badRequest("invalid append batch: " + message);
  }
}
