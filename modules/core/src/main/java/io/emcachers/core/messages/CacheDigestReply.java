package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The digest of a cache: its {@code last_oplog_id} in the read the ids were scanned in, and per
 * bucket (index = bucket) the number of doc ids and the sum mod 2^64 of their {@link
 * io.emcachers.core.verify.VerifyHash#hash}.
 */
public record CacheDigestReply(long lastOplogId, List<Long> counts, List<Long> digests)
    implements BusMessage {

  public CacheDigestReply {
    counts = counts == null ? List.of() : List.copyOf(counts);
    digests = digests == null ? List.of() : List.copyOf(digests);
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject()
        .put("last_oplog_id", lastOplogId)
        .put("counts", new JsonArray(counts))
        .put("digests", new JsonArray(digests));
  }

  public static CacheDigestReply fromJson(JsonObject json) {
    return new CacheDigestReply(
        json.getLong("last_oplog_id", 0L),
        longs(json.getJsonArray("counts")),
        longs(json.getJsonArray("digests")));
  }

  static List<Long> longs(JsonArray arr) {
    return arr == null ? List.of() : arr.stream().map(o -> ((Number) o).longValue()).toList();
  }
}
