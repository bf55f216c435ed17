package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * {@code emc.oplog.append}: a batch of entries written in one PostgreSQL transaction.
 *
 * <ul>
 *   <li>{@code kind = stream}: change-stream entries. Entries of entities that are pending or
 *       scanning go to {@code oplog_staging}; the others to {@code oplog}. {@code stream} names the
 *       change stream (its resume-token key) and {@code resumeToken} is the token of the batch's last
 *       event, stored in the same transaction (may be null for a batch with no new position).
 *       {@code expectedToken}, when not null, is {@code {"v": token-or-null}}: the token the sender
 *       believes is stored for {@code stream} right now (the token of its previous batch). The
 *       oplog side writes nothing and fails CONFLICT when the stored token differs, so a batch can
 *       never commit after an earlier batch of the same stream failed: the stored position can
 *       never jump over a lost batch.
 *   <li>{@code kind = scan}: scan upserts of {@code scanEntity}, always into {@code oplog};
 *       {@code scanLastId} (the last scanned {@code _id} as {@code {"v": relaxed-JSON value}}) is
 *       stored as that entity's scan progress in the same transaction. {@code scanEpoch} is the
 *       scan attempt's generation ({@code Entity.epoch} returned by {@code emc.oplog.scan.begin}):
 *       the batch fails STALE, writing nothing, unless the entity is {@code scanning} at exactly that
 *       epoch (0: no generation check, for tools and tests).
 * </ul>
 */
public record AppendBatch(
    String kind, String stream, JsonObject resumeToken, String scanEntity, JsonObject scanLastId, List<OplogEntry> entries,
    JsonObject expectedToken, long scanEpoch)
    implements BusMessage {

  public static final String KIND_STREAM = "stream";
  public static final String KIND_SCAN = "scan";

  public AppendBatch {
    entries = List.copyOf(entries);
  }

  public AppendBatch(String kind, String stream, JsonObject resumeToken, String scanEntity, JsonObject scanLastId, List<OplogEntry> entries,
                     JsonObject expectedToken) {
    this(kind, stream, resumeToken, scanEntity, scanLastId, entries, expectedToken, 0L);
  }

  /** A stream batch with no check of the previously stored token. */
  public static AppendBatch stream(String stream, JsonObject resumeToken, List<OplogEntry> entries) {
    return new AppendBatch(KIND_STREAM, stream, resumeToken, null, null, entries, null);
  }

  /**
   * A stream batch that commits only if the token stored for {@code stream} is {@code previousToken}
   * (null: no token stored for it).
   */
  public static AppendBatch streamAfter(String stream, JsonObject previousToken, JsonObject resumeToken, List<OplogEntry> entries) {
    return new AppendBatch(KIND_STREAM, stream, resumeToken, null, null, entries, new JsonObject().put("v", previousToken));
  }

  /** A scan batch without a generation check (tools and tests). */
  public static AppendBatch scan(String entity, JsonObject scanLastId, List<OplogEntry> entries) {
    return new AppendBatch(KIND_SCAN, null, null, entity, scanLastId, entries, null, 0L);
  }

  /** A scan batch of the scan attempt {@code epoch}. */
  public static AppendBatch scan(String entity, long epoch, JsonObject scanLastId, List<OplogEntry> entries) {
    return new AppendBatch(KIND_SCAN, null, null, entity, scanLastId, entries, null, epoch);
  }

  @Override
  public JsonObject toJson() {
    JsonArray arr = new JsonArray();
    entries.forEach(e -> arr.add(e.toJson()));
    return new JsonObject()
        .put("kind", kind)
        .put("stream", stream)
        .put("resume_token", resumeToken)
        .put("scan_entity", scanEntity)
        .put("scan_last_id", scanLastId)
        .put("entries", arr)
        .put("expected_token", expectedToken)
        .put("scan_epoch", scanEpoch);
  }

  public static AppendBatch fromJson(JsonObject json) {
    JsonArray arr = json.getJsonArray("entries", new JsonArray());
    return new AppendBatch(
        json.getString("kind"),
        json.getString("stream"),
        json.getJsonObject("resume_token"),
        json.getString("scan_entity"),
        json.getJsonObject("scan_last_id"),
        arr.stream().map(o -> OplogEntry.fromJson((JsonObject) o)).toList(),
        json.getJsonObject("expected_token"),
        json.getLong("scan_epoch", 0L));
  }
}
