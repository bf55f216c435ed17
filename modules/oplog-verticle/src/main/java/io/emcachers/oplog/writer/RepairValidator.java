package io.emcachers.oplog.writer;

import io.emcachers.core.bus.BusException;
import io.emcachers.core.messages.OplogEntry;
import io.emcachers.oplog.writer.AppendBatchValidator.Encoded;
import io.emcachers.oplog.writer.AppendBatchValidator.EncodedRepair;
import io.vertx.core.json.JsonArray;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The checks of a {@code RepairRequest} ({@link AppendBatchValidator#validateRepair}). Its entries
 * are validated as append entries are ({@link AppendBatchValidator#entryProblem} and the JSON
 * checks; such entries are rejected, listed in {@code rejected}). Problems of the request itself
 * fail it with BAD_REQUEST: more than {@code oplog.max_batch_entries} entries, an entry of another
 * entity, an entry epoch other than 0 or the request's, a doc id twice (the compare-and-set checks
 * the oplog as it was before the statement, so both would be written).
 */
final class RepairValidator {

  private RepairValidator() {}

  static EncodedRepair validate(
      int maxEntries, String entity, long epoch, List<OplogEntry> entries) {
    if (AppendBatchValidator.blank(entity)) {
      throw badRepair("entity is required");
    }
    if (entity.indexOf('\0') >= 0) {
      throw badRepair("entity contains a NUL character, which PostgreSQL text cannot store");
    }
    if (epoch < 0) {
      throw badRepair("epoch must be >= 0, got " + epoch);
    }
    if (entries == null) {
      throw badRepair("entries is required");
    }
    if (entries.size() > maxEntries) {
      throw badRepair(
          "request has "
              + entries.size()
              + " entries, more than oplog.max_batch_entries ("
              + maxEntries
              + ")");
    }
    int n = entries.size();
    List<String> ops = new ArrayList<>(n);
    List<String> docIds = new ArrayList<>(n);
    List<String> data = new ArrayList<>(n);
    Set<String> seen = new HashSet<>();
    JsonArray rejected = new JsonArray();
    for (int i = 0; i < n; i++) {
      OplogEntry e = entries.get(i);
      String at = "entries[" + i + "]";
      if (e != null && e.entity() != null && !e.entity().equals(entity)) {
        throw badRepair(
            at + ".entity must be the repaired entity '" + entity + "', got '" + e.entity() + "'");
      }
      if (e != null && e.epoch() != 0 && epoch != 0 && e.epoch() != epoch) {
        throw badRepair(
            at + ".epoch must be 0 or the request's epoch " + epoch + ", got " + e.epoch());
      }
      Encoded encoded = AppendBatchValidator.encodeEntry(e, i, rejected);
      if (encoded == null) {
        continue;
      }
      if (!seen.add(e.docId())) {
        throw badRepair(at + ".doc_id '" + e.docId() + "' appears more than once");
      }
      ops.add(e.operation().name());
      docIds.add(e.docId());
      data.add(encoded.json());
    }
    return new EncodedRepair(
        entity,
        ops.toArray(String[]::new),
        docIds.toArray(String[]::new),
        data.toArray(String[]::new),
        rejected);
  }

  private static BusException badRepair(String message) {
    return BusException.badRequest("invalid repair request: " + message);
  }
}
