package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * {@code emc.oplog.read.compacted}: like {@link OplogReadRequest} (up to {@code limit} rows with id
 * &gt; {@code after}, optionally only these entities; reply {@link OplogReadReply}), but never
 * fails COMPACTED: the reader asks for the compacted <em>state</em> (the latest row of every
 * document below the compaction horizon, full history above it), not for every change. This is how
 * a fresh or rebuilding node pages from {@code after = 0} through the compacted range. Deletes
 * below the tombstone horizon are gone: only a registered replica ({@code emc.oplog.replica.report}
 * with its progress) is sure to see every delete after its position.
 */
public record CompactedReadRequest(long after, int limit, List<String> entities)
    implements BusMessage {

  public CompactedReadRequest {
    entities = entities == null ? null : List.copyOf(entities);
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject()
        .put("after", after)
        .put("limit", limit)
        .put("entities", entities == null ? null : new JsonArray(entities));
  }

  public static CompactedReadRequest fromJson(JsonObject json) {
    JsonArray arr = json.getJsonArray("entities");
    return new CompactedReadRequest(
        json.getLong("after", 0L),
        json.getInteger("limit", 1000),
        arr == null ? null : arr.stream().map(String::valueOf).toList());
  }
}
