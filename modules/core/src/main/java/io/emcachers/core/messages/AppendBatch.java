package io.emcachers.core.messages;

import io.emcachers.core.bus.BusMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * {@code emc.oplog.append}: a batch of entries written in one PostgreSQL transaction. One record
 * per kind: {@link StreamBatch} (change-stream entries and the stream's resume token) and {@link
 * ScanBatch} (scan upserts of one entity and its scan progress).
 *
 * <p>Wire format (unchanged from the single record it replaces): one JSON object with {@code kind}
 * ({@code stream} or {@code scan}), {@code stream}, {@code resume_token}, {@code expected_token},
 * {@code scan_entity}, {@code scan_last_id}, {@code scan_epoch} and {@code entries}; the fields of
 * the other kind are null (scan_epoch 0). Each record has its own codec ({@code emc.StreamBatch},
 * {@code emc.ScanBatch}: Vert.x picks a default codec by the body's exact class, and codec names
 * are unique), which decodes its own record; {@link #fromJson} dispatches on {@code kind} for JSON
 * from anywhere else.
 */
public sealed interface AppendBatch extends BusMessage
    permits AppendBatch.StreamBatch, AppendBatch.ScanBatch {

  String KIND_STREAM = "stream";
  String KIND_SCAN = "scan";

  /** {@link #KIND_STREAM} or {@link #KIND_SCAN}: the {@code kind} field on the wire. */
  String kind();

  List<OplogEntry> entries();

  // The two accessors below keep callers that hold a stream batch as an AppendBatch compiling;
  // new code matches on the record instead.

  /** The change stream of a {@link StreamBatch}; null for a {@link ScanBatch}. */
  default String stream() {
    return null;
  }

  /** The resume token of a {@link StreamBatch}; null for a {@link ScanBatch}. */
  default JsonObject resumeToken() {
    return null;
  }

  /**
   * Change-stream entries. Entries of entities that are pending or scanning go to {@code
   * oplog_staging}; the others to {@code oplog}. {@code stream} names the change stream (its
   * resume-token key) and {@code resumeToken} is the token of the batch's last event, stored in the
   * same transaction (may be null for a batch with no new position). {@code expectedToken}, when
   * not null, is {@code {"v": token-or-null}}: the token the sender believes is stored for {@code
   * stream} right now (the token of its previous batch). The oplog side writes nothing and fails
   * CONFLICT when the stored token differs, so the stored position can never jump over a lost
   * batch. {@code clusterTime} (null: unknown) is the source cluster time the batch moves the
   * stream's position to: the last event's {@code clusterTime}, or the time of an empty {@code
   * getMore}'s post-batch resume token. The oplog stores it per stream with the token (the stream's
   * committed cluster-time high-water mark, never lowered), which read-your-writes waits on.
   */
  record StreamBatch(
      String stream,
      JsonObject resumeToken,
      JsonObject expectedToken,
      List<OplogEntry> entries,
      Long clusterTime)
      implements AppendBatch {

    public StreamBatch {
      entries = List.copyOf(entries);
    }

    /** A batch without a cluster time. */
    public StreamBatch(
        String stream, JsonObject resumeToken, JsonObject expectedToken, List<OplogEntry> entries) {
      this(stream, resumeToken, expectedToken, entries, null);
    }

    /** This batch with {@code time} as its position's cluster time. */
    public StreamBatch withClusterTime(Long time) {
      return new StreamBatch(stream, resumeToken, expectedToken, entries, time);
    }

    @Override
    public String kind() {
      return KIND_STREAM;
    }

    @Override
    public JsonObject toJson() {
      JsonObject json =
          wire(KIND_STREAM, stream, resumeToken, null, null, entries, expectedToken, 0L);
      return clusterTime == null ? json : json.put("cluster_time", clusterTime);
    }

    public static StreamBatch fromJson(JsonObject json) {
      return new StreamBatch(
          json.getString("stream"),
          json.getJsonObject("resume_token"),
          json.getJsonObject("expected_token"),
          entriesOf(json),
          json.getLong("cluster_time"));
    }
  }

  /**
   * Scan upserts of {@code entity}, always into {@code oplog}; {@code lastId} (the last scanned
   * {@code _id} as {@code {"v": relaxed-JSON value}}) is stored as that entity's scan progress in
   * the same transaction. {@code epoch} is the scan attempt's generation ({@code Entity.epoch}
   * returned by {@code emc.oplog.scan.begin}): the batch fails STALE, writing nothing, unless the
   * entity is {@code scanning} at exactly that epoch (0: no generation check, for tools and tests).
   */
  record ScanBatch(String entity, long epoch, JsonObject lastId, List<OplogEntry> entries)
      implements AppendBatch {

    public ScanBatch {
      entries = List.copyOf(entries);
    }

    @Override
    public String kind() {
      return KIND_SCAN;
    }

    @Override
    public JsonObject toJson() {
      return wire(KIND_SCAN, null, null, entity, lastId, entries, null, epoch);
    }

    public static ScanBatch fromJson(JsonObject json) {
      return new ScanBatch(
          json.getString("scan_entity"),
          json.getLong("scan_epoch", 0L),
          json.getJsonObject("scan_last_id"),
          entriesOf(json));
    }
  }

  /** A stream batch with no check of the previously stored token. */
  static StreamBatch stream(String stream, JsonObject resumeToken, List<OplogEntry> entries) {
    return new StreamBatch(stream, resumeToken, null, entries);
  }

  /**
   * A stream batch that commits only if the token stored for {@code stream} is {@code
   * previousToken} (null: no token stored for it).
   */
  static StreamBatch streamAfter(
      String stream, JsonObject previousToken, JsonObject resumeToken, List<OplogEntry> entries) {
    return new StreamBatch(stream, resumeToken, new JsonObject().put("v", previousToken), entries);
  }

  /** A scan batch without a generation check (tools and tests). */
  static ScanBatch scan(String entity, JsonObject scanLastId, List<OplogEntry> entries) {
    return new ScanBatch(entity, 0L, scanLastId, entries);
  }

  /** A scan batch of the scan attempt {@code epoch}. */
  static ScanBatch scan(
      String entity, long epoch, JsonObject scanLastId, List<OplogEntry> entries) {
    return new ScanBatch(entity, epoch, scanLastId, entries);
  }

  /**
   * Decodes either kind. Throws {@link IllegalArgumentException} when {@code kind} is missing or
   * unknown; a handler using {@code Bus.handle} answers that BAD_REQUEST with this text.
   */
  static AppendBatch fromJson(JsonObject json) {
    String kind = json.getString("kind");
    if (kind == null) {
      throw new IllegalArgumentException(
          "invalid append batch: kind is required (" + KIND_STREAM + " or " + KIND_SCAN + ")");
    }
    return switch (kind) {
      case KIND_STREAM -> StreamBatch.fromJson(json);
      case KIND_SCAN -> ScanBatch.fromJson(json);
      default ->
          throw new IllegalArgumentException(
              "invalid append batch: kind must be "
                  + KIND_STREAM
                  + " or "
                  + KIND_SCAN
                  + ", got '"
                  + kind
                  + "'");
    };
  }

  private static JsonObject wire(
      String kind,
      String stream,
      JsonObject resumeToken,
      String scanEntity,
      JsonObject scanLastId,
      List<OplogEntry> entries,
      JsonObject expectedToken,
      long scanEpoch) {
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

  private static List<OplogEntry> entriesOf(JsonObject json) {
    JsonArray arr = json.getJsonArray("entries", new JsonArray());
    return arr.stream().map(o -> OplogEntry.fromJson((JsonObject) o)).toList();
  }
}
