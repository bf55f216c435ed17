package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * {@code emc.oplog.repair}: repair rows for documents of {@code entity} whose cache a verification
 * found differing from the source. Each entry (an upsert with the projected source document, or a
 * delete for a document gone from the source) is appended as a synthetic oplog row only if no row
 * of that document has an id above {@code headBefore} (the oplog head the verifier observed before
 * it read the source): a newer row means the repair is not needed or would overwrite a newer value.
 * {@code epoch} is the entity's epoch the entries were projected under (0: unchecked); every entry
 * must belong to {@code entity} and carry epoch 0 or {@code epoch}. {@code reason} is logged.
 */
public record RepairRequest(
    String entity, long headBefore, long epoch, List<OplogEntry> entries, String reason)
    implements BusMessage {

  public RepairRequest {
    entries = entries == null ? null : Collections.unmodifiableList(new ArrayList<>(entries));
  }

  /** Without an epoch check (epoch 0). */
  public RepairRequest(String entity, long headBefore, List<OplogEntry> entries, String reason) {
    this(entity, headBefore, 0L, entries, reason);
  }

  @Override
  public JsonObject toJson() {
    JsonArray arr = null;
    if (entries != null) {
      arr = new JsonArray();
      for (OplogEntry e : entries) {
        arr.add(e == null ? null : e.toJson());
      }
    }
    return new JsonObject()
        .put("entity", entity)
        .put("head_before", headBefore)
        .put("epoch", epoch)
        .put("entries", arr)
        .put("reason", reason);
  }

  public static RepairRequest fromJson(JsonObject json) {
    JsonArray arr = json.getJsonArray("entries");
    List<OplogEntry> entries = null;
    if (arr != null) {
      entries = new ArrayList<>(arr.size());
      for (Object o : arr) {
        entries.add(o == null ? null : OplogEntry.fromJson((JsonObject) o));
      }
    }
    return new RepairRequest(
        json.getString("entity"),
        json.getLong("head_before", 0L),
        json.getLong("epoch", 0L),
        entries,
        json.getString("reason"));
  }
}
