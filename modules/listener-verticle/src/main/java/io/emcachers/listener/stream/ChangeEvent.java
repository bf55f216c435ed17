package io.emcachers.listener.stream;

import org.bson.BsonDocument;
import org.bson.BsonValue;

/**
 * One change-stream event, as the listener uses it. {@code collection} is the event's {@code
 * ns.coll} when the server sends it (database-level streams), else the stream's collection. {@code
 * clusterTime} is the event's {@code clusterTime} (a BSON timestamp as its 64-bit value), null when
 * the server sends none.
 */
public record ChangeEvent(
    String operationType,
    String collection,
    BsonDocument token,
    BsonDocument fullDocument,
    BsonDocument documentKey,
    String toCollection,
    Long clusterTime) {

  public ChangeEvent(
      String operationType,
      String collection,
      BsonDocument token,
      BsonDocument fullDocument,
      BsonDocument documentKey) {
    this(operationType, collection, token, fullDocument, documentKey, null, null);
  }

  public ChangeEvent(
      String operationType,
      String collection,
      BsonDocument token,
      BsonDocument fullDocument,
      BsonDocument documentKey,
      String toCollection) {
    this(operationType, collection, token, fullDocument, documentKey, toCollection, null);
  }

  public static final String INSERT = "insert";
  public static final String UPDATE = "update";
  public static final String REPLACE = "replace";
  public static final String DELETE = "delete";
  public static final String INVALIDATE = "invalidate";
  public static final String DROP = "drop";
  public static final String RENAME = "rename";
  public static final String DROP_DATABASE = "dropDatabase";

  public static ChangeEvent parse(BsonDocument event, String defaultCollection) {
    String op =
        event.isString("operationType") ? event.getString("operationType").getValue() : "unknown";
    String coll = defaultCollection;
    BsonValue ns = event.get("ns");
    if (ns != null && ns.isDocument() && ns.asDocument().isString("coll")) {
      coll = ns.asDocument().getString("coll").getValue();
    }
    String to = null;
    BsonValue toNs = event.get("to");
    if (toNs != null && toNs.isDocument() && toNs.asDocument().isString("coll")) {
      to = toNs.asDocument().getString("coll").getValue();
    }
    BsonValue id = event.get("_id");
    BsonValue full = event.get("fullDocument");
    BsonValue key = event.get("documentKey");
    BsonValue time = event.get("clusterTime");
    return new ChangeEvent(
        op,
        coll,
        id != null && id.isDocument() ? id.asDocument() : null,
        full != null && full.isDocument() ? full.asDocument() : null,
        key != null && key.isDocument() ? key.asDocument() : null,
        to,
        time != null && time.isTimestamp() ? time.asTimestamp().getValue() : null);
  }

  /**
   * drop, rename or dropDatabase: the collection's contents changed wholesale, with no per-document
   * events.
   */
  public boolean isCollectionLevel() {
    return DROP.equals(operationType)
        || RENAME.equals(operationType)
        || DROP_DATABASE.equals(operationType);
  }

  /** insert, update or replace: the event carries (or looked up) the whole document. */
  public boolean isUpsert() {
    return INSERT.equals(operationType)
        || UPDATE.equals(operationType)
        || REPLACE.equals(operationType);
  }

  public boolean isDelete() {
    return DELETE.equals(operationType);
  }
}
